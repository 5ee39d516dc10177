"""The per-process watch that makes open boards follow access (server/realtime/access.py), and the
handshake's Origin rule (server/realtime/opening.origin_allowed), without a server."""

import pytest

from server.realtime.access import AccessWatch
from server.realtime.events import AccessChanged
from server.realtime.opening import origin_allowed
from tests.realtime.sockets import RecordingViewer


def _open(watch: AccessWatch, viewer: RecordingViewer) -> RecordingViewer:
    watch.checking_started(viewer)
    watch.admitted(viewer)
    return viewer


async def test_a_notice_checks_again_only_the_sockets_of_the_users_it_names():
    watch = AccessWatch()
    removed, other = _open(watch, RecordingViewer(1)), _open(watch, RecordingViewer(2))
    removed.allowed = other.allowed = False
    watch.changed(AccessChanged(user_ids=(1,)))
    await watch.settled()
    assert (removed.checks, removed.closed) == (1, True)
    assert (other.checks, other.closed) == (0, False)


async def test_a_sign_out_checks_only_the_sockets_opened_with_that_session():
    watch = AccessWatch()
    signed_out = _open(watch, RecordingViewer(1, session_hash="a"))
    other_browser = _open(watch, RecordingViewer(1, session_hash="b"))
    with_token = _open(watch, RecordingViewer(1, session_hash=None))
    watch.changed(AccessChanged(user_ids=(1,), session_hash="a"))
    await watch.settled()
    assert [signed_out.checks, other_browser.checks, with_token.checks] == [1, 0, 0]


async def test_an_everyone_notice_checks_every_open_socket():
    watch = AccessWatch()
    viewers = [_open(watch, RecordingViewer(n)) for n in (1, 2, 3)]
    watch.changed(AccessChanged(everyone=True))
    await watch.settled()
    assert [v.checks for v in viewers] == [1, 1, 1]


async def test_a_notice_during_the_handshake_check_makes_the_socket_check_again_once_open():
    """The handshake's check may have read the database from before the change: it must not count."""
    watch = AccessWatch()
    opening = RecordingViewer(1)
    watch.checking_started(opening)
    watch.changed(AccessChanged(user_ids=(1,)))  # committed while the check ran
    opening.allowed = False
    watch.admitted(opening)
    await watch.settled()
    assert (opening.checks, opening.closed) == (1, True)


async def test_a_socket_that_opened_after_the_notice_is_not_checked_again():
    watch = AccessWatch()
    watch.changed(AccessChanged(user_ids=(1,)))
    late = _open(watch, RecordingViewer(1))
    await watch.settled()
    assert late.checks == 0


async def test_a_closed_socket_is_forgotten():
    watch = AccessWatch()
    gone = _open(watch, RecordingViewer(1))
    watch.forget(gone)
    watch.changed(AccessChanged(user_ids=(1,)))
    await watch.settled()
    assert gone.checks == 0 and watch.by_user == {} and watch.checking == {}


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        (None, "pantau.go.id", True),  # not a browser: nothing borrowed
        ("https://pantau.go.id", "pantau.go.id", True),
        ("http://pantau.go.id:8080", "pantau.go.id:8080", True),
        ("HTTPS://Pantau.GO.id", "pantau.go.id:443", True),
        ("https://evil.example", "pantau.go.id", False),
        ("http://pantau.go.id:9000", "pantau.go.id", False),  # another site on the same host
        ("https://pantau.go.id.evil.example", "pantau.go.id", False),
        ("null", "pantau.go.id", False),  # a sandboxed page or a file
        ("", "pantau.go.id", False),  # sent twice
        ("https://pantau.go.id", None, False),
    ],
)
def test_origin_must_be_the_host_the_request_came_to(origin, host, allowed):
    assert origin_allowed(origin, host=host, public_url=None) is allowed


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://pantau.example.go.id", True),
        ("https://pantau.example.go.id:443", True),
        ("http://pantau.example.go.id", False),
        ("http://10.0.0.5:8000", False),  # the Host the proxy passed on does not count when it is set
    ],
)
def test_with_a_public_url_the_origin_must_be_that_site(origin, allowed):
    public = "https://pantau.example.go.id"
    assert origin_allowed(origin, host="10.0.0.5:8000", public_url=public) is allowed
