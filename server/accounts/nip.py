"""NIP (Nomor Induk Pegawai) validation, DOMAIN.md §3.

Layout of the 18 digits: birth date YYYYMMDD, appointment (TMT CPNS) YYYYMM, sex digit 1|2, 3-digit serial.
Every rejection names the part that is wrong so the API can return it as a 422 a person can act on.
"""

from __future__ import annotations

import re
from datetime import date

NIP_LENGTH = 18

_ASCII_DIGITS = re.compile(r"[0-9]*")


class InvalidNip(ValueError):
    """A NIP that breaks the regulated shape; str() names the bad part."""


def normalize_nip(raw: str) -> str:
    """Return the 18 digits of `raw` with all whitespace removed, or raise InvalidNip.

    Whitespace is dropped because NIPs are commonly printed grouped as "19850315 201001 1 001".
    """
    if not isinstance(raw, str):
        raise InvalidNip(f"NIP must be text, got {type(raw).__name__}")
    nip = "".join(raw.split())
    # str.isdigit() would also accept non-ASCII digits such as Arabic-Indic ones, hence the regex.
    if not _ASCII_DIGITS.fullmatch(nip):
        raise InvalidNip("NIP may contain only digits and spaces")
    if len(nip) != NIP_LENGTH:
        raise InvalidNip(f"NIP must have {NIP_LENGTH} digits, got {len(nip)}")

    birth, appointment, sex = nip[0:8], nip[8:14], nip[14]
    try:
        date(int(birth[0:4]), int(birth[4:6]), int(birth[6:8]))
    except ValueError:
        raise InvalidNip(f"NIP birth date {birth} is not a real date") from None

    appointment_year, appointment_month = int(appointment[0:4]), int(appointment[4:6])
    if appointment_year < 1 or not 1 <= appointment_month <= 12:
        raise InvalidNip(f"NIP appointment month {appointment} is not a real month")
    # The appointment has month precision only, so "later than the birth date" means a later month.
    if appointment <= birth[0:6]:
        raise InvalidNip(f"NIP appointment {appointment} is not later than the birth date {birth}")

    if sex not in ("1", "2"):
        raise InvalidNip(f"NIP sex digit must be 1 or 2, got {sex}")
    return nip
