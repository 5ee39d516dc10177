"""Every board message has one shape, built in one place (server/realtime/events.py `envelope`): the
text it assembles must be exactly the JSON of the envelope, as a client parses it."""

import json
from datetime import UTC, datetime

import pytest

from server.jsonenc import dumps
from server.realtime.events import envelope

AT = datetime(2026, 12, 6, 1, 2, 3, 456789, tzinfo=UTC)


@pytest.mark.parametrize(
    ("type", "scope", "data"),
    [
        ("update.posted", "project:7", {"note": "Jalan “Desa” ✓\nbaris dua", "blockers": None}),
        ("snapshot", "unit:1", {"projects": [], "latest_updates": {}}),
        ("indicator.changed", "unit:12", {"value": 86.11, "key": "timeliness"}),
    ],
)
def test_the_envelope_is_the_json_of_its_fields(type, scope, data):
    text = envelope(seq=42, type=type, scope=scope, at=AT, data_json=dumps(data))
    assert text == dumps({"seq": 42, "type": type, "scope": scope, "at": AT, "data": data})
    assert json.loads(text) == {
        "seq": 42,
        "type": type,
        "scope": scope,
        "at": "2026-12-06T01:02:03.456789Z",
        "data": data,
    }
