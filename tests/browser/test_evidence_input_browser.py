"""Choosing evidence on a phone (issue 14 item 1, web/static/evidence.js): photos are made small in the
browser before anything is sent, PDFs go as they are, each choice adds to the last (a camera gives one
photo at a time), previews and a count are shown, and a fifth file is refused with a message."""

import io

from PIL import Image
from playwright.async_api import expect

from tests.browser.conftest import PHONE, DemoServer, OpenPage

PROJECT = "Layanan KTP-el Keliling ke Desa"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def photo(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "#c27c0e").save(out, "PNG")
    return out.getvalue()


async def test_photos_are_downscaled_pdfs_pass_and_a_fifth_file_is_refused(
    open_page: OpenPage, demo_server: DemoServer
):
    milestone = await demo_server.own_open_milestone(PROJECT, "asn112")
    page = await open_page(PHONE, "asn112", phone=True)
    task = page.locator(f"#m-{milestone['id']}")
    field = task.locator("[data-evidence-input]")

    # A tall PNG from the gallery becomes a JPEG of 1,600 px on its longest side.
    await field.set_input_files({"name": "papan.png", "mimeType": "image/png", "buffer": photo(1200, 3200)})
    await expect(field).not_to_have_attribute("data-evidence-busy", "")
    chosen = await field.evaluate(
        """async (input) => Promise.all(Array.from(input.files).map(async (file) => {
          const bitmap = await createImageBitmap(file);
          return [file.name, file.type, bitmap.width, bitmap.height];
        }))"""
    )
    assert chosen == [["papan.jpg", "image/jpeg", 600, 1600]]

    # Then a PDF and two more photos: four in all, each previewed, counted.
    await field.set_input_files(
        [
            {"name": "berita-acara.pdf", "mimeType": "application/pdf", "buffer": PDF},
            {"name": "a.png", "mimeType": "image/png", "buffer": photo(800, 600)},
            {"name": "b.png", "mimeType": "image/png", "buffer": photo(800, 600)},
        ]
    )
    await expect(field).not_to_have_attribute("data-evidence-busy", "")
    await expect(task.locator(".evidence-chosen__item")).to_have_count(4)
    await expect(task.locator(".evidence-chosen__count")).to_have_text("4 dari 4 berkas dipilih")
    await expect(task.locator(".evidence-chosen__doc")).to_have_text("PDF · berita-acara.pdf")
    names = await field.evaluate("(input) => Array.from(input.files).map((f) => [f.name, f.type, f.size])")
    assert [n[:2] for n in names] == [
        ["papan.jpg", "image/jpeg"],
        ["berita-acara.pdf", "application/pdf"],
        ["a.jpg", "image/jpeg"],
        ["b.jpg", "image/jpeg"],
    ]
    assert names[1][2] == len(PDF)  # the PDF as it was

    # A fifth: refused, with a message; the four stay.
    await field.set_input_files({"name": "c.png", "mimeType": "image/png", "buffer": photo(800, 600)})
    await expect(task.locator(".evidence-chosen__refused")).to_contain_text("Paling banyak 4 berkas")
    await expect(task.locator(".evidence-chosen__item")).to_have_count(4)
    assert await field.evaluate("(input) => input.files.length") == 4

    # One removed: three left, and room for another.
    await task.get_by_role("button", name="Hapus: a.jpg").click()
    await expect(task.locator(".evidence-chosen__item")).to_have_count(3)
    assert await field.evaluate("(input) => Array.from(input.files).map((f) => f.name)") == [
        "papan.jpg",
        "berita-acara.pdf",
        "b.jpg",
    ]
