"""The published IKM and the exports in a real browser against `pantau serve --demo`: the IKM page on a
360 px phone, the same page printed to PDF (one A4 sheet with the nine unsur and none of the site's
navigation), the poster's link to it, and the leader's XLSX download from the distribution page.
Each test writes only a survey answer of its own."""

import io
import re
import unicodedata
import zlib

from openpyxl import load_workbook
from playwright.async_api import expect

from server.feedback.ikm import ELEMENTS
from server.performance.exports import COLUMNS
from server.performance.rules import RATING_LABELS_ID
from tests.browser.conftest import DESKTOP, PHONE, DemoServer, OpenPage, Shot, sign_in

DINAS = "Dinas Kependudukan dan Pencatatan Sipil"


def pdf_text(pdf: bytes) -> str:
    """The text Chromium's PDF shows, read back through each font's ToUnicode map (Chromium writes every
    font as Type0/Identity-H with one): enough to check what a printed page says, without a PDF library."""
    objects = {int(n): body for n, body in re.findall(rb"(\d+) 0 obj(.*?)endobj", pdf, re.S)}

    def stream(body: bytes) -> bytes:
        found = re.search(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S)
        if found is None:
            return b""
        return zlib.decompress(found.group(1)) if b"/FlateDecode" in body else found.group(1)

    def unicode_map(font: bytes) -> dict[int, str]:
        ref = re.search(rb"/ToUnicode (\d+) 0 R", font)
        cmap = stream(objects[int(ref.group(1))]) if ref else b""
        chars: dict[int, str] = {}
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
            for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                chars[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
            for low, high, dst in re.findall(
                rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
            ):
                for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                    chars[code] = chr(int(dst, 16) + offset)
        return chars

    runs = []
    for body in objects.values():
        if not re.search(rb"/Type /Page\b(?!s)", body):
            continue
        fonts = {name: unicode_map(objects[int(n)]) for name, n in re.findall(rb"/(F\d+) (\d+) 0 R", body)}
        contents = re.search(rb"/Contents (\d+) 0 R", body)
        assert contents is not None, "a page whose content this reader does not know"
        chars: dict[int, str] = {}
        tokens = rb"/(F\d+) [\d.]+ Tf|<([0-9A-Fa-f]*)>|\bET\b"
        for token in re.finditer(tokens, stream(objects[int(contents.group(1))])):
            if token.group(1):
                chars = fonts.get(token.group(1), {})
            elif token.group(2) is not None:
                hexes = token.group(2).decode()
                runs.append(
                    "".join(chars.get(int(hexes[i : i + 4], 16), "") for i in range(0, len(hexes), 4))
                )
            else:
                runs.append(" ")
    # NFKC: Chromium writes "fi" as the ligature ﬁ.
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", "".join(runs)))


async def _answer_survey(demo_server: DemoServer, unit_id: int) -> None:
    """One answer of this test's own, so the current month has an IKM whatever the demo data holds."""
    async with demo_server.api() as http:
        token = (await http.get("/api/v1/feedback/token", params={"unit_id": unit_id})).json()["token"]
        answer = {"unit_id": unit_id, "token": token, "answers": [4, 3, 4, 4, 3, 4, 3, 4, 3]}
        assert (await http.post("/api/v1/feedback", json=answer)).status_code == 201


async def test_the_published_ikm_on_a_phone_and_printed_on_one_a4_sheet(
    open_page: OpenPage, demo_server: DemoServer, shot: Shot
):
    dinas = await demo_server.unit_id(DINAS)
    await _answer_survey(demo_server, dinas)
    async with demo_server.api() as http:
        published = (await http.get(f"/api/v1/units/{dinas}/ikm")).json()

    page = await open_page(PHONE, phone=True)  # nobody signed in: the result is public
    await page.goto(f"/units/{dinas}/ikm")
    await expect(page.get_by_role("heading", name=DINAS, level=1)).to_be_visible()
    ikm = f"{published['ikm']:.2f}".replace(".", ",")
    await expect(page.locator("#ikm-value")).to_have_text(ikm)
    await expect(page.locator("#ikm-mutu")).to_have_text(published["mutu"])
    rows = page.locator("#ikm-unsur tbody tr")
    await expect(rows).to_have_count(9)
    for row, (code, name) in zip(await rows.all(), ELEMENTS, strict=True):
        await expect(row).to_contain_text(code)
        await expect(row).to_contain_text(name)
    await expect(page.locator("#ikm-sample")).to_contain_text(f"{published['n']} responden")
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await shot(page, "phone")

    await page.emulate_media(media="print")
    await expect(page.locator(".site-header")).to_be_hidden()
    await expect(page.locator("form.period-picker")).to_be_hidden()
    await expect(page.locator("#ikm-unsur")).to_be_visible()
    pdf = await page.pdf(format="A4", print_background=True)
    await page.set_viewport_size({"width": 718, "height": 1009})  # A4 less the 15 mm margins, at 96 dpi
    await shot(page, "print")
    assert len(re.findall(rb"/Type /Page\b(?!s)", pdf)) == 1, "one A4 sheet for the notice board"
    assert b"/MediaBox [0 0 594.95996 841.91998]" in pdf or b"/MediaBox [0 0 595" in pdf
    text = pdf_text(pdf)
    for code, name in ELEMENTS:
        assert f"{code} {name}" in text, (code, text)
    assert ikm in text and DINAS in text
    assert "Bahasa Indonesia" not in text and "Periode" not in text, "no language switch or period picker"


async def test_the_poster_prints_and_links_the_published_ikm(open_page: OpenPage, demo_server: DemoServer):
    dinas = await demo_server.unit_id(DINAS)
    page = await open_page(DESKTOP)
    await page.goto(f"/survey/{dinas}/poster")
    await expect(page.locator("#ikm-link")).to_have_text(re.compile(rf"^http://[^/]+/units/{dinas}/ikm$"))
    await page.emulate_media(media="print")
    poster = await page.pdf(format="A4")
    assert len(re.findall(rb"/Type /Page\b(?!s)", poster)) == 1, (
        "the poster with its IKM line stays one sheet"
    )
    assert f"/units/{dinas}/ikm" in pdf_text(poster)
    await page.emulate_media(media="screen")
    await page.get_by_role("link", name="Lihat hasil survei (IKM)").click()
    await page.wait_for_url(re.compile(rf"/units/{dinas}/ikm$"))
    await expect(page.locator("#ikm-unsur, #ikm-none")).to_be_visible()


async def test_the_leader_downloads_the_xlsx_first_from_the_distribution_page(
    open_page: OpenPage, demo_server: DemoServer
):
    dinas = await demo_server.unit_id(DINAS)
    page = await open_page(DESKTOP)
    await sign_in(page, "kadis1", next_=f"/units/{dinas}/distribution")
    first = page.locator(".downloads a").first
    await expect(first).to_have_text("Excel (XLSX)")
    async with page.expect_download() as started:
        await first.click()
    download = await started.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO((await download.path()).read_bytes())).active
    assert [cell.value for cell in sheet[1]] == COLUMNS
    assert sheet.max_row > 1, "the demo dinas has staff"
    ratings = {row[COLUMNS.index("Perilaku kerja")].value for row in sheet.iter_rows(min_row=2)}
    assert ratings <= {*RATING_LABELS_ID.values(), None}, "words, never `above`"
