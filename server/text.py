"""Names and texts as people send them: the one set of types every entrance validates with (API bodies,
the page forms that reuse the API models, imported rows), so that whatever is stored can be shown,
exported and sent back.

A text is stripped of control characters (a name keeps none: a line break or tab becomes a space; a
multi-line note keeps line breaks and tabs), trimmed, and then bounded: a text over its bound is refused
(422), never cut. Lone surrogates and the non-characters U+FFFE/U+FFFF go too: a database cannot store the
first and a spreadsheet cannot hold either; so do the bidirectional overrides (see below)."""

import re
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

NAME_MAX = 200
TITLE_MAX = 300
REASON_MAX = 2000
NOTE_MAX = 4000

# C0 and C1 controls, DEL, surrogates and the two non-characters, by what each kind of text keeps.
_LINE_BREAKS = re.compile("\r\n|[\t\n\v\f\r\x1c-\x1e\x85\u2028\u2029]")
_NOTE_BREAKS = re.compile("\r\n|[\r\v\f\x1c-\x1e\x85\u2028\u2029]")
# The bidirectional embeddings, overrides and isolates go too: one left open reverses the text after it
# on a page (a name that reads differently from what it is).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
_LINE_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def clean_line(value: str) -> str:
    """One line of text: line breaks and tabs become spaces, other control characters go, trimmed."""
    return _LINE_CONTROL.sub("", _LINE_BREAKS.sub(" ", value)).strip()


def clean_text(value: str) -> str:
    """Several lines of text: line breaks become \\n, tabs stay, other control characters go, trimmed."""
    return _CONTROL.sub("", _NOTE_BREAKS.sub("\n", value)).strip()


def _required_line(value: str) -> str:
    value = clean_line(value)
    if not value:
        raise PydanticCustomError("blank", "must not be blank")
    return value


# The bound is checked on what was sent (so an oversized text is refused before any work on it) and holds
# for what is kept, which is never longer.
Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX), AfterValidator(_required_line)]
"""A name (of a person, a unit, a project, a holiday): one line, 1-200 characters."""

Title = Annotated[str, Field(min_length=1, max_length=TITLE_MAX), AfterValidator(_required_line)]
"""A milestone's title: one line, 1-300 characters."""

Line = Annotated[str, Field(max_length=NAME_MAX), AfterValidator(clean_line)]
"""A short optional line (an e-mail address, a label): up to 200 characters, may be empty."""

Reason = Annotated[str, Field(max_length=REASON_MAX), AfterValidator(clean_text)]
"""A reason or short note: several lines, up to 2,000 characters, may be empty (the service decides
whether it is required)."""

Note = Annotated[str, Field(max_length=NOTE_MAX), AfterValidator(clean_text)]
"""A longer note or description: several lines, up to 4,000 characters, may be empty."""


def N_(msgid: str) -> str:
    """Marks an Indonesian msgid kept in data (a message stored or passed on, translated where it is shown)
    for extraction by `scripts/translations`. The one marker every layer uses: domain cores, which may not
    import the pages, and the pages alike."""
    return msgid
