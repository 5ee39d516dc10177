"""The passwords (and the words of passwords) that anyone guessing tries first, in Indonesia as elsewhere:
the top of the lists published from leaked password sets, with the Indonesian words that lead them, and
this regency's own names. Compared lower-cased (server/accounts/passwords.py). Kept as Python so that it
ships in the wheel with the code."""

COMMON_PASSWORDS = frozenset(
    """
    123456 1234567 12345678 123456789 1234567890 0123456789 12341234 11223344 112233445566 121212 123123
    123123123 123321 1234qwer 123qwe 123abc 147258369 159753 654321 666666 7777777 88888888 987654321
    11111111 00000000 12121212 22222222 55555555 99999999 69696969 1q2w3e4r 1q2w3e4r5t 1qaz2wsx zaq12wsx
    qwerty qwerty123 qwertyuiop qwertyui asdfgh asdfghjkl zxcvbnm qazwsx q1w2e3r4 abc123 abcd1234
    password password1 password123 passw0rd p@ssw0rd p@ssword pass1234 passpass letmein welcome
    welcome1 welcome123 iloveyou iloveyou1 trustno1 sunshine princess football baseball basketball
    superman batman master monkey dragon shadow michael jennifer jessica charlie computer internet
    starwars whatever freedom secret secret123 changeme default login admin admin123 administrator
    root toor guest user user1234 test test1234 testing
    rahasia rahasia123 sandi katasandi kata sandi pemkab pemda pemerintah kabupaten bukitintan pantau
    pantau123 bkpsdm bkd asn asn12345 pns pns12345 pegawai kantor dinas indonesia indonesiaraya merdeka
    garuda pancasila jakarta bandung surabaya medan bismillah alhamdulillah subhanallah insyaallah
    assalamualaikum allahuakbar muhammad sayang sayangku cinta cintaku aku kamu akucintakamu
    akusayangkamu sayangkamu bidadari bintang matahari rembulan mawar melati doraemon persija persib
    arema bolaku sepakbola selamat selamatpagi semangat sukses berhasil berkah barokah keluarga
    anakku mamaku papaku bapak ibu
    """.split()
)
