"""Headers every response carries: a strict Content-Security-Policy (no inline scripts, no other
origins), no MIME sniffing, no framing, and no full URLs leaking to other sites. And `Cache-Control:
no-store` on every answer to a signed-in request (a session cookie or an Authorization header), static
files excepted: a signed-in page or export is never kept by the browser or a proxy, so Back after signing
out, or the next person at a shared computer, finds nothing. (A response that sets a Cache-Control of its
own keeps it.)"""

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.deps import SESSION_COOKIE

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Inline style attributes size the progress bars; scripts stay strictly same-origin files.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
]


NO_STORE = [(b"cache-control", b"no-store")]


def _signed_in(scope: Scope) -> bool:
    """A request that says who is asking, for anything but a static file (the same for everyone)."""
    if scope["path"].startswith("/static/"):
        return False
    for name, value in scope["headers"]:
        if name == b"authorization":
            return True
        if name == b"cookie" and SESSION_COOKIE in cookie_parser(value.decode("latin-1")):
            return True
    return False


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        added = SECURITY_HEADERS + NO_STORE if _signed_in(scope) else SECURITY_HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in added if name not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
