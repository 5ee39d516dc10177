"""Browser tests: Debian's Chromium driven by Playwright (async API) against a real embedded Pantau.

One `pantau serve --demo` process (a SQLite file in a temporary folder, the in-process broker, no Redis)
serves every test of the session, so the Bukitintan demo data loads once. Each test opens its own browser
contexts (cookies, viewport, language) and closes them at the end. Playwright never downloads a browser:
/usr/bin/chromium comes from Debian (scripts/install-system), and a missing one fails the tests."""

import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from tests.services import AppProcess, app_env, free_port, redis_prefix

CHROMIUM = os.environ.get("PANTAU_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "pantau-demo"
SCREENSHOTS = Path("test-output") / "browser"
PHONE = {"width": 360, "height": 740}
WALL = {"width": 1920, "height": 1080}
DESKTOP = {"width": 1280, "height": 900}
JAKARTA = ZoneInfo("Asia/Jakarta")


def today_in_jakarta() -> date:
    return datetime.now(JAKARTA).date()


@dataclass
class DemoServer:
    process: AppProcess

    @property
    def base_url(self) -> str:
        return f"http://{self.process.address}"

    def api(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=10)

    async def token(self, username: str) -> dict[str, str]:
        async with self.api() as http:
            response = await http.post(
                "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
            )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    async def get(self, path: str, username: str) -> object:
        headers = await self.token(username)
        async with self.api() as http:
            response = await http.get(path, headers=headers)
        assert response.status_code == 200, (
            f"GET {path} as {username}: {response.status_code} {response.text}"
        )
        return response.json()

    async def project(self, name: str, username: str) -> dict[str, Any]:
        """The project of that name, as `username` reads it from the API."""
        projects = await self.get("/api/v1/projects", username)
        return next(p for p in projects if p["name"] == name)  # type: ignore[union-attr]

    async def own_open_milestone(self, project_name: str, username: str) -> dict[str, Any]:
        """An open milestone of that project that `username` works on (an assignee)."""
        me = await self.get("/api/v1/me", username)
        project = await self.project(project_name, username)
        return next(
            m
            for m in project["milestones"]
            if m["status"] == "open" and me["id"] in m["assignee_ids"]  # type: ignore[index]
        )

    async def unit_id(self, name: str) -> int:
        units = await self.get("/api/v1/units", "admin")
        return next(u["id"] for u in units if u["name"] == name)  # type: ignore[union-attr]


@pytest.fixture(scope="session")
async def demo_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DemoServer]:
    """A real `pantau serve --demo` on its own port and SQLite file, for the whole session."""
    database = tmp_path_factory.mktemp("browser-db") / "pantau-browser.db"
    env = app_env(f"sqlite:///{database}", None, redis_prefix())
    process = AppProcess(env, free_port(), "--demo")
    await process.start(timeout=120)
    try:
        yield DemoServer(process)
    finally:
        await process.stop()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: the browser tests drive Debian's Chromium "
            "(scripts/install-system installs it; by hand: apt-get install -y chromium). "
            "Do not run `playwright install`.",
            pytrace=False,
        )
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


OpenPage = Callable[..., Awaitable[Page]]


@pytest.fixture
async def open_page(browser: Browser, demo_server: DemoServer) -> AsyncIterator[OpenPage]:
    """open_page(viewport, user=None, phone=False): a page in a fresh context (Indonesian, WIB), signed in
    through the /login form when `user` is given. Every context is closed after the test."""
    contexts: list[BrowserContext] = []

    async def open_(viewport: dict[str, int], user: str | None = None, phone: bool = False) -> Page:
        context = await browser.new_context(
            base_url=demo_server.base_url,
            viewport=viewport,
            locale="id-ID",  # Accept-Language: the pages pick their language from it
            timezone_id="Asia/Jakarta",
            is_mobile=phone,
            has_touch=phone,
            device_scale_factor=2 if phone else 1,
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = await context.new_page()
        if user is not None:
            await sign_in(page, user)
        return page

    yield open_
    for context in contexts:
        await context.close()


async def assert_no_sideways_scroll(page: Page) -> None:
    """The page fits its viewport's width (issue 13: every page at 360 px, with long words and URLs)."""
    width = page.viewport_size["width"] if page.viewport_size else PHONE["width"]
    scrolled = await page.evaluate("document.documentElement.scrollWidth")
    assert scrolled <= width, f"{page.url} scrolls sideways at {width} px ({scrolled} px)"


async def sign_in(page: Page, username: str, next_: str = "/") -> None:
    """Sign in through the login form, as a person would."""
    await page.goto(f"/login?next={next_}")
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Masuk", exact=True).click()
    await page.wait_for_url(re.compile(r"^(?!.*/login)"))
    # Signed in: the log-out form is there (the person's name is hidden on phones).
    await expect(page.locator('form[action="/logout"]')).to_be_attached()


Shot = Callable[..., Awaitable[Path]]


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Shot:
    """shot(page, suffix=""): a full-page screenshot at test-output/browser/<test name>[-suffix].png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)

    async def take(page: Page, suffix: str = "", full_page: bool = True) -> Path:
        path = SCREENSHOTS / (f"{name}-{suffix}.png" if suffix else f"{name}.png")
        await page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
