"""A Redis behind a proxy that can stop forwarding without closing anything (tests.services.TcpProxy)."""

from tests.services import TcpProxy


class PausingProxy(TcpProxy):
    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"
