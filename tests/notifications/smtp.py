"""A real SMTP server for the tests (aiosmtpd) on the test's own event loop and a free port: it can refuse
the next messages, require STARTTLS (with a certificate made for the test by openssl) and a password."""

import asyncio
import ssl
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.services import free_port


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: Message


@dataclass
class Recorder:
    """Accepts messages, except the next `refuse` ones, which it answers with `refusal`."""

    refuse: int = 0
    refusal: str = "451 4.3.0 Mailbox busy, try again later"
    received: list[Received] = field(default_factory=list)
    attempts: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.attempts += 1
        if self.refuse > 0:
            self.refuse -= 1
            return self.refusal
        assert isinstance(envelope.content, bytes)
        self.received.append(
            Received(str(envelope.mail_from), list(envelope.rcpt_tos), message_from_bytes(envelope.content))
        )
        self.arrived.set()
        return "250 2.0.0 Accepted"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the client trusts it as its CA file)."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@asynccontextmanager
async def smtp_server(
    recorder: Recorder,
    *,
    certificate: tuple[Path, Path] | None = None,
    login: tuple[str, str] | None = None,
) -> AsyncIterator[int]:
    """Serves on a free port (yielded) until the block ends. With `certificate`, STARTTLS is offered and
    required; with `login`, that user name and password are required (over TLS)."""
    tls_context = None
    if certificate is not None:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(*map(str, certificate))

    def authenticator(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and login is not None
            and (data.login.decode(), data.password.decode()) == login
        )
        return AuthResult(success=ok)

    def protocol() -> SMTP:
        return SMTP(
            recorder,
            hostname="pantau-test-smtp",
            tls_context=tls_context,
            require_starttls=tls_context is not None,
            authenticator=authenticator if login else None,
            auth_required=login is not None,
        )

    port = free_port()
    server = await asyncio.get_running_loop().create_server(protocol, "127.0.0.1", port)
    try:
        yield port
    finally:
        server.close()
        await server.wait_closed()
