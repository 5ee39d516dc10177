"""Sentences the performance rules word for people — indicator explanations, unrealistic-target and
distribution warnings — kept as an Indonesian msgid and its values instead of finished text, so that
each reader words them in its own language: the API in Indonesian, as it always has (`text()`), a page
in the page's language (server.pages.i18n.localise). The domain marks its msgids with N_ for
extraction (`scripts/translations`) without depending on the pages."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from server.text import N_  # noqa: F401  (re-exported for the performance domain)


def _as_is(msgid: str) -> str:
    return msgid


@dataclass(frozen=True)
class Message:
    """A msgid (a %-format string: `%(name)s` for a value, `%%` for a percent sign) and its values.

    A value is worded where the message is: a Decimal as a number in the language's notation (86,5 or
    86.5, no trailing zeros), a Message (say a predikat's name) translated in turn, anything else as
    it is (names, counts)."""

    msgid: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def text(self, translate: Callable[[str], str] = _as_is, decimal_mark: str = ",") -> str:
        """The message worded by `translate` (msgid -> translated msgid); by default in Indonesian."""
        return translate(self.msgid) % {
            name: _word(value, translate, decimal_mark) for name, value in self.values.items()
        }


def message(msgid: str, **values: Any) -> Message:
    return Message(msgid, values)


def sentences(*parts: Message) -> Message:
    """Several messages as one text, one after the other. Its msgid is only placeholders, so no
    catalogue has it and each part is translated on its own."""
    return Message(
        " ".join(f"%(s{i})s" for i in range(len(parts))), {f"s{i}": p for i, p in enumerate(parts)}
    )


def _word(value: Any, translate: Callable[[str], str], decimal_mark: str) -> Any:
    if isinstance(value, Message):
        return value.text(translate, decimal_mark)
    if isinstance(value, Decimal):
        return f"{value.normalize():f}".replace(".", decimal_mark)
    return value


def in_indonesian(value: Any) -> Any:
    """`value` (a message, or a dict or list holding some) with every message worded in Indonesian: what
    the API sends, whatever language the client asks for."""
    if isinstance(value, Message):
        return value.text()
    if isinstance(value, dict):
        return {key: in_indonesian(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [in_indonesian(item) for item in value]
    return value
