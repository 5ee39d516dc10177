import pytest

from server.accounts.nip import InvalidNip, normalize_nip


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("198503152010011001", "198503152010011001"),
        ("19850315 201001 1 001", "198503152010011001"),
        ("  19850315\t201001\n1 001 ", "198503152010011001"),
        ("199212312019122002", "199212312019122002"),  # female, last day of the year
        ("200002292024011000", "200002292024011000"),  # 29 Feb of a leap year (2000)
        ("198503152010011999", "198503152010011999"),
        ("198503151985041001", "198503151985041001"),  # appointment the month after the birth month
    ],
)
def test_valid_nips_are_normalized_to_18_digits(raw: str, expected: str) -> None:
    assert normalize_nip(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("19850315201001100", "NIP must have 18 digits, got 17"),
        ("1985031520100110011", "NIP must have 18 digits, got 19"),
        ("", "NIP must have 18 digits, got 0"),
        ("   ", "NIP must have 18 digits, got 0"),
        ("19850315-201001-1-001", "NIP may contain only digits and spaces"),
        ("19850315201001100x", "NIP may contain only digits and spaces"),
        ("١٩٨٥٠٣١٥٢٠١٠٠١١٠٠١", "NIP may contain only digits and spaces"),  # Arabic-Indic digits
        ("198513322010011001", "NIP birth date 19851332 is not a real date"),
        ("198502292010011001", "NIP birth date 19850229 is not a real date"),  # 1985 is not a leap year
        ("190002292010011001", "NIP birth date 19000229 is not a real date"),  # 1900 is not a leap year
        ("198500152010011001", "NIP birth date 19850015 is not a real date"),
        ("198504002010011001", "NIP birth date 19850400 is not a real date"),
        ("000001012010011001", "NIP birth date 00000101 is not a real date"),
        ("198503152010131001", "NIP appointment month 201013 is not a real month"),
        ("198503152010001001", "NIP appointment month 201000 is not a real month"),
        ("198503150000011001", "NIP appointment month 000001 is not a real month"),
        ("198503151980011001", "NIP appointment 198001 is not later than the birth date 19850315"),
        ("198503151985031001", "NIP appointment 198503 is not later than the birth date 19850315"),
        ("198503152010013001", "NIP sex digit must be 1 or 2, got 3"),
        ("198503152010010001", "NIP sex digit must be 1 or 2, got 0"),
    ],
)
def test_invalid_nip_names_the_bad_part(raw: str, message: str) -> None:
    with pytest.raises(InvalidNip) as caught:
        normalize_nip(raw)
    assert str(caught.value) == message


def test_invalid_nip_is_a_value_error() -> None:
    assert issubclass(InvalidNip, ValueError)


def test_non_text_is_rejected() -> None:
    with pytest.raises(InvalidNip, match="NIP must be text, got int"):
        normalize_nip(198503152010011001)  # type: ignore[arg-type]
