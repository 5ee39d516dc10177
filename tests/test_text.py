"""The shared text types (server/text.py): what a name or a note keeps of what was sent."""

import pytest
from pydantic import BaseModel, ValidationError

from server.text import NAME_MAX, Line, Name, Note, clean_line, clean_text


class Form(BaseModel):
    name: Name
    note: Note | None = None
    email: Line | None = None


def test_a_name_loses_control_characters_and_line_breaks_become_spaces():
    assert clean_line(" Budi\tSantoso\r\nS.Kom\x00\x1b\x7f\x85 ") == "Budi Santoso S.Kom"


def test_a_note_keeps_its_lines_and_tabs_but_no_other_control_character():
    assert (
        clean_text("  baris 1\r\nbaris 2\rbaris\t3\x00\x07\u2028akhir ")
        == "baris 1\nbaris 2\nbaris\t3\nakhir"
    )


def test_bidirectional_overrides_and_unencodable_characters_are_dropped():
    assert clean_line("admin\u202egpj.exe\u2066x\u2069") == "admingpj.exex"
    assert clean_line("a\ud800b\ufffec\uffff") == "abc"
    assert clean_line("Dinas Ωmega — Pelayanan") == "Dinas Ωmega — Pelayanan", "letters of any script stay"


def test_a_name_of_only_control_characters_or_spaces_is_refused_as_blank():
    for value in ("", "   ", "\x00\x01\t\n"):
        with pytest.raises(ValidationError) as refused:
            Form(name=value)
        assert refused.value.errors()[0]["loc"] == ("name",)


def test_a_name_over_its_bound_is_refused_not_cut():
    assert Form(name="n" * NAME_MAX).name == "n" * NAME_MAX
    with pytest.raises(ValidationError) as refused:
        Form(name="n" * 50_000)
    assert refused.value.errors()[0]["type"] == "string_too_long"


def test_optional_texts_are_cleaned_too():
    form = Form(name="x", note=" satu\x00\ndua ", email=" a@b.id\x00 ")
    assert (form.note, form.email) == ("satu\ndua", "a@b.id")
