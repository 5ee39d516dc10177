"""`pantau serve` writes no line per request unless PANTAU_ACCESS_LOG asks for one: each names an address
and what it asked for, and nginx already keeps the scaled deployment's access log."""

import httpx

from tests.services import AppProcess, app_env, free_port, redis_prefix

REQUEST_LINE = '"GET /healthz HTTP/1.1" 200'


async def _lines_after_a_request(tmp_path, **extra: str) -> list[str]:
    env = app_env(f"sqlite:///{tmp_path / 'pantau.db'}", None, redis_prefix(), **extra)
    process = await AppProcess(env, free_port()).start()
    try:
        async with httpx.AsyncClient(base_url=f"http://{process.address}") as http:
            assert (await http.get("/healthz")).status_code == 200
    finally:
        await process.stop()  # its output is read to the end
    return process.output


async def test_no_access_log_by_default(tmp_path):
    lines = await _lines_after_a_request(tmp_path)
    assert any("Application startup complete" in line for line in lines)
    assert not any(REQUEST_LINE in line for line in lines), lines


async def test_access_log_when_asked_for(tmp_path):
    lines = await _lines_after_a_request(tmp_path, PANTAU_ACCESS_LOG="true")
    assert any(REQUEST_LINE in line for line in lines), lines
