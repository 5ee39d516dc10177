import httpx
import pytest


@pytest.fixture
def from_address(app):
    """A client whose requests come from `address` (what the sign-in limits count under)."""

    def client(address: str, *, scheme: str = "http") -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(address, 5000)), base_url=f"{scheme}://test"
        )

    return client
