"""Every PDF the app serves is tagged (PDF/UA-1), and made with one fetch policy.

The PDF routes are found from the URL patterns (every route ending in ".pdf"), fetched as the
chair in the planted neighbourhood of tests/problems/privacy_walker.py, and read back with
pypdf: marked, a structure tree, /Lang, /Title and the PDF/UA identifier in the XMP metadata.
buurtoverleg.pdf makes them all; its fetch policy (inline data only) is tested on its own.
"""

from __future__ import annotations

import base64
import io
import threading
import urllib.request
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.etree import ElementTree

import pypdf
import pytest
from django.test import Client
from PIL import Image

from buurtoverleg.pdf import render_pdf
from tests.conftest import pass_second_factor
from tests.problems.privacy_walker import PDF_ROUTES, World, planted_world, routes, urls_of

pytestmark = pytest.mark.django_db

PDFUAID = "{http://www.aiim.org/pdfua/ns/id/}part"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """The planted neighbourhood (privacy_walker.planted_world), rolled back at the end."""
    yield from planted_world(django_db_blocker, tmp_path_factory.mktemp("media"))


def pdf_urls(world: World) -> dict[str, list[str]]:
    """Every URL of every PDF route, by route name."""
    slug = world.personas.hood.slug
    return {
        route.label: urls_of(route, world.table, slug)
        for route in routes()
        if route.pattern.endswith(".pdf")
    }


def tagging_faults(pdf: bytes) -> list[str]:
    """What the PDF misses of PDF/UA-1 as WeasyPrint writes it (empty: all there)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    root: Any = reader.trailer["/Root"]
    faults = []
    if not bool(root.get("/MarkInfo", {}).get("/Marked")):
        faults.append("not marked as tagged")
    if "/StructTreeRoot" not in root:
        faults.append("no structure tree")
    if not str(root.get("/Lang", "")).strip():
        faults.append("no /Lang")
    if not (reader.metadata and (reader.metadata.title or "").strip()):
        faults.append("no /Title")
    if "/Metadata" not in root:
        faults.append("no XMP metadata")
    else:
        data = root["/Metadata"].get_object().get_data()
        xmp = ElementTree.fromstring(data)  # noqa: S314 - written by our own WeasyPrint
        parts = [node.get(PDFUAID) for node in xmp.iter()]
        parts += [node.text for node in xmp.iter(PDFUAID)]
        if "1" not in parts:
            faults.append("no PDF/UA-1 identifier (pdfuaid:part) in the XMP metadata")
    return faults


def test_every_pdf_the_app_serves_is_tagged(world):
    urls = pdf_urls(world)
    assert set(urls) >= PDF_ROUTES
    client = Client()
    chair = world.personas.chair
    client.force_login(chair)
    pass_second_factor(client, chair)
    faults = []
    for name, addresses in urls.items():
        assert addresses, name
        for url in addresses:
            response = client.get(url)
            assert response.status_code == 200, (name, url, response.status_code)
            assert response["Content-Type"] == "application/pdf", (name, url)
            body = b"".join(response) if response.streaming else response.content
            faults += [f"{name} ({url}): {fault}" for fault in tagging_faults(body)]
    assert not faults, "\n".join(faults)


# --- buurtoverleg.pdf on its own ----------------------------------------------------------------


def html(body: str, *, lang: str = "nl", title: str = "Stembiljet") -> str:
    lang_attribute = f' lang="{lang}"' if lang else ""
    return f"<!DOCTYPE html><html{lang_attribute}><head><title>{title}</title></head><body>{body}"


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return buffer.getvalue()


def images(pdf: bytes) -> int:
    return sum(len(page.images) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_a_pdf_is_tagged_with_the_documents_title_and_language():
    pdf = render_pdf(html("<h1>Stembiljet</h1><p>Kies drie problemen.</p>", lang="tr"))
    assert tagging_faults(pdf) == []
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    root: Any = reader.trailer["/Root"]
    assert root["/Lang"] == "tr"
    assert reader.metadata is not None and reader.metadata.title == "Stembiljet"


@pytest.mark.parametrize(("lang", "title"), [("", "Stembiljet"), ("nl", "")])
def test_a_document_without_language_or_title_is_refused(lang, title):
    with pytest.raises(ValueError, match="A PDF needs a"):
        render_pdf(html("<p>Tekst</p>", lang=lang, title=title))


def test_only_inline_data_is_fetched(tmp_path):
    """A data: URI is drawn; a file on disk and a web address (a server on this machine) are
    not fetched. The same image each time, and both addresses do work: only the policy
    differs."""
    image = png()
    (tmp_path / "rood.png").write_bytes(image)
    asked: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def do_GET(self) -> None:
            asked.append(self.path)
            super().do_GET()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        web = f"http://127.0.0.1:{server.server_address[1]}/rood.png"
        inline = "data:image/png;base64," + base64.b64encode(image).decode()
        on_disk = (tmp_path / "rood.png").as_uri()
        assert images(render_pdf(html(f'<img src="{inline}" alt="rood">'))) == 1
        assert images(render_pdf(html(f'<img src="{on_disk}" alt="rood">'))) == 0
        assert images(render_pdf(html(f'<img src="{web}" alt="rood">'))) == 0
        assert asked == []
        with urllib.request.urlopen(web) as response:
            assert response.read() == image  # the address itself works
    finally:
        server.shutdown()
        server.server_close()
