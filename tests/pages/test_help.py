async def test_help_page_explains_the_rules_with_the_values_in_force(client):
    response = await client.get("/help")
    assert response.status_code == 200
    text = response.text
    assert "Ketepatan waktu" in text and "mengurangi 5 poin" in text
    assert "Persyaratan" in text and "Sarana dan Prasarana" in text
    assert "75,00" in text and "384 responden" in text
    assert "Sangat Kurang" in text and "Butuh Perbaikan" in text
    assert "Butuh Perbaikan paling sedikit 60%" in text
    assert "%%" not in text and "%(" not in text


async def test_the_english_help_page_names_the_predikats_of_the_distribution_rules_in_english(client):
    text = (await client.get("/help", headers={"accept-language": "en"})).text
    assert "Poor and/or Needs improvement at least 10%" in text
    assert "at least one staff member rated Needs improvement or Poor" in text
    assert "dan/atau" not in text and "Butuh Perbaikan" not in text


async def test_help_explains_every_evaluation_integrity_rule_in_indonesian_and_english(client):
    """Issue 11: each rule of DOMAIN.md §1/§1b/§2 is stated on /help, with the values the code uses."""
    indonesian = (await client.get("/help")).text
    for phrase in (
        "hari kerja: Senin sampai Jumat",  # working days and the holiday calendar
        "Tenggat baru berlaku sejak hari dipindah",  # the due date in force
        "alasan tertulis minimal 10 karakter",
        "tanggal penyerahan",  # delivery stops the clock
        "tidak boleh sebelum tonggak dibuat",  # closing-date bounds
        "anggota aktif proyek",  # assignees are members
        "Nilai 1, 2 atau 5 wajib disertai catatan",
        "menunggu penilaian atasan ketua tim",  # quality scored by someone else
        "U6 Kompetensi Pelaksana dan U7 Perilaku Pelaksana",
        "paling sedikit 10 jawaban",
        "berlaku sekali dan selama 2 jam",  # single-use survey tokens
        "ditandai ganda dan tidak dihitung",  # duplicates
        "Lebih dari 5 jawaban",  # suspects
        "untuk triwulan dipakai 3 kali",  # population per period
        "lebih dari separuh indikator",  # the suggestion rule
        "admin BKPSDM mengelola sistem tetapi tidak menilai",  # who rates
        "Kepala unit",
        "data berubah sejak dinilai",
        "belum dinilai",  # distribution base
        "Hanya periode yang sudah berakhir yang bisa dikunci",
        "membuka kembali tonggak capaian",  # corrections
    ):
        assert phrase in indonesian, phrase
    english = (await client.get("/help", headers={"accept-language": "en"})).text
    for phrase in (
        "Monday to Friday (WIB)",
        "applies from the day it was moved",
        "Delivery stops the clock",
        "waits for the lead's own rater",
        "at least 10 answers",
        "works once and for 2 hours",
        "More than 5 answers naming the same person",
        "more than half of the counted indicators",
        "Only a period that has ended can be locked",
        "correct or reopen a milestone",
    ):
        assert phrase in english, phrase
