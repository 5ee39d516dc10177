"""The regency of Bukitintan as the demo shows it: names, offices, projects and their milestones'
fates, the holiday calendar, and what people write in their updates (server/demo.py loads it)."""

from datetime import date

FIRST_NAMES = [
    "Budi",
    "Siti",
    "Agus",
    "Dewi",
    "Rudi",
    "Ratna",
    "Hendra",
    "Wulan",
    "Yusuf",
    "Intan",
    "Fajar",
    "Maya",
    "Andi",
    "Lestari",
    "Bayu",
    "Nur",
    "Eko",
    "Fitri",
    "Dimas",
    "Rina",
    "Arif",
    "Sari",
    "Teguh",
    "Putri",
    "Joko",
    "Ayu",
    "Rizky",
    "Indah",
    "Hadi",
    "Kartika",
    "Wahyu",
    "Melati",
    "Imam",
    "Yuni",
    "Gilang",
    "Nadia",
]
LAST_NAMES = [
    "Santoso",
    "Rahmawati",
    "Wibowo",
    "Lestari",
    "Hidayat",
    "Kusuma",
    "Saputra",
    "Handayani",
    "Pratama",
    "Nugroho",
    "Siregar",
    "Harahap",
    "Setiawan",
    "Purnamasari",
    "Gunawan",
    "Anggraini",
    "Firmansyah",
]

# (OPD, population served per month, bidang)
ORGANISATION = [
    (
        "Dinas Kependudukan dan Pencatatan Sipil",
        4000,
        ["Bidang Pelayanan Pendaftaran Penduduk", "Bidang Pencatatan Sipil"],
    ),
    ("Dinas Pekerjaan Umum dan Penataan Ruang", 1500, ["Bidang Bina Marga", "Bidang Cipta Karya"]),
    ("Dinas Kesehatan", 6000, ["Bidang Pelayanan Kesehatan", "Bidang Pencegahan Penyakit"]),
    ("Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", 300, ["Bidang Penilaian Kinerja"]),
]

# (OPD index, bidang index, project name, milestones as (title, weight, due offset days, plan))
# plan: "ontime" closes early, "late" closes after its due date, "moved" is rescheduled, "open" stays open;
# "self" closes on time with the lead among its assignees (its quality then waits for the lead's rater);
# "corrected" closes late and the lead then corrects its closing date with a reason.
PROJECTS = [
    (
        0,
        0,
        "Layanan KTP-el Keliling ke Desa",
        [
            ("Pemetaan desa sasaran", 1, -45, "ontime"),
            ("Jadwal & logistik keliling", 2, -20, "late"),
            ("Rekap data perekaman", 1, -9, "self"),
            ("Perekaman di 12 desa", 3, 10, "open"),
            ("Laporan dan evaluasi", 1, 30, "open"),
        ],
    ),
    (
        0,
        1,
        "Akta Kelahiran Terbit di Rumah Sakit",
        [
            ("Perjanjian kerja sama RS", 1, -30, "ontime"),
            ("Pelatihan petugas RS", 2, -5, "moved"),
            ("Uji coba di RSUD", 3, 14, "open"),
        ],
    ),
    (
        1,
        0,
        "Rehabilitasi Jalan Poros Desa Sukamaju",
        [
            ("Survei dan desain teknis", 2, -50, "ontime"),
            ("Pengadaan kontraktor", 2, -25, "corrected"),
            ("Pekerjaan fisik tahap 1", 4, -3, "open"),
            ("Serah terima", 1, 40, "open"),
        ],
    ),
    (
        1,
        1,
        "Sistem Informasi Perizinan Bangunan",
        [
            ("Analisis kebutuhan", 1, -35, "ontime"),
            ("Pengembangan aplikasi", 3, 20, "open"),
            ("Sosialisasi ke pemohon", 1, 45, "open"),
        ],
    ),
    (
        2,
        0,
        "Antrean Daring Puskesmas",
        [
            ("Pemilihan puskesmas percontohan", 1, -40, "ontime"),
            ("Pemasangan perangkat", 2, -12, "ontime"),
            ("Pelatihan petugas loket", 1, 5, "open"),
            ("Peluncuran ke publik", 2, 25, "open"),
        ],
    ),
    (
        2,
        1,
        "Percepatan Imunisasi Dasar Lengkap",
        [
            ("Pendataan balita", 2, -28, "late"),
            ("Sweeping imunisasi", 3, -2, "open"),
            ("Pelaporan capaian", 1, 20, "open"),
        ],
    ),
    (
        3,
        0,
        "Penerapan Pantau di Seluruh OPD",
        [
            ("Impor data pegawai", 1, -21, "ontime"),
            ("Pelatihan operator OPD", 2, -7, "ontime"),
            ("Pendampingan dialog kinerja", 2, 15, "open"),
        ],
    ),
]

# Libur nasional and cuti bersama kept in the calendar; the fixed-date ones for any year, the others as the
# 2026 decree set them (demo data: an operator keeps the real calendar on /admin/holidays).
FIXED_HOLIDAYS = [
    ((1, 1), "Tahun Baru Masehi"),
    ((5, 1), "Hari Buruh Internasional"),
    ((6, 1), "Hari Lahir Pancasila"),
    ((8, 17), "Hari Kemerdekaan Republik Indonesia"),
    ((12, 24), "Cuti bersama Hari Raya Natal"),
    ((12, 25), "Hari Raya Natal"),
]
HOLIDAYS_2026 = [
    (date(2026, 1, 16), "Isra Mikraj Nabi Muhammad SAW"),
    (date(2026, 2, 17), "Tahun Baru Imlek"),
    (date(2026, 3, 19), "Hari Suci Nyepi"),
    (date(2026, 3, 20), "Hari Raya Idulfitri"),
    (date(2026, 3, 23), "Cuti bersama Idulfitri"),
    (date(2026, 4, 3), "Wafat Yesus Kristus"),
    (date(2026, 5, 14), "Kenaikan Yesus Kristus"),
    (date(2026, 5, 27), "Hari Raya Iduladha"),
    (date(2026, 5, 31), "Hari Raya Waisak"),
    (date(2026, 6, 16), "Tahun Baru Islam"),
    (date(2026, 8, 25), "Maulid Nabi Muhammad SAW"),
]

BLOCKERS = [
    "Jaringan internet di desa terputus",
    "Menunggu tanda tangan kepala dinas",
    "Printer blanko rusak",
    None,
    None,
    None,
]
# How each blocker above was resolved (server/demo.py resolves all but each person's newest recent one).
RESOLUTIONS = {
    "Jaringan internet di desa terputus": "Jaringan pulih; data dikirim ulang dari kantor desa",
    "Menunggu tanda tangan kepala dinas": "Sudah ditandatangani kepala dinas",
    "Printer blanko rusak": "Printer diganti dari gudang; blanko dicetak ulang",
}
NOTES = [
    "Sesuai rencana",
    "Koordinasi dengan camat",
    "Data sudah diverifikasi",
    "Rapat teknis dengan tim",
    "Dokumen diunggah",
]
