"""Every PDF the app serves is made here: tagged, with one fetch policy.

    pdf = render_pdf(html)                       # one HTML document as a PDF
    document = layout_pdf(html, fonts)           # laid out on its own (its own page rules)
    pdf = write_pdf(combine_documents(documents, title=..., language=...))  # one PDF of many

Every PDF is PDF/UA-1: tagged (a structure tree, /MarkInfo), with the document's <title> as its
/Title, its <html lang> as /Lang and the PDF/UA identifier in the XMP metadata. A document
without a title or language is refused: a screen reader would announce nothing, or read the
text in the wrong voice.

The fetch policy: WeasyPrint fetches only `data:` URIs (the QR codes are inline SVG). No
network, no files: a minutes body edited by a person, or a problem title in a ballot, cannot
make the server or a worker read a URL or a file. The fonts come from the system (fontconfig),
not through the fetcher.

WeasyPrint is imported inside the functions: loading it takes a while and most requests never
make a PDF.
"""

from __future__ import annotations

import copy
from typing import Any

PDF_VARIANT = "pdf/ua-1"  # tagged, with the title and language in the metadata
ALLOWED_PROTOCOLS = ("data",)


def url_fetcher() -> Any:
    """The one fetch policy: inline `data:` URIs only, no redirects, errors never fatal (a
    refused URL is left out of the document, with a warning in the log)."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=ALLOWED_PROTOCOLS, allow_redirects=False)


def layout_pdf(html: str, fonts: Any = None) -> Any:
    """One HTML document laid out with its own CSS, as a WeasyPrint Document tagged for
    PDF/UA. `fonts`: a FontConfiguration shared by documents that are combined."""
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=url_fetcher()).render(
        font_config=fonts, pdf_variant=PDF_VARIANT
    )


def combine_documents(
    documents: list[Any], *, title: str | None = None, language: str | None = None
) -> Any:
    """The pages of all documents as one (WeasyPrint's Document.copy), with the first one's
    metadata, the title and language replaced when given."""
    first = documents[0]
    combined = first.copy([page for document in documents for page in document.pages])
    combined.metadata = copy.copy(first.metadata)
    if title is not None:
        combined.metadata.title = title
    if language is not None:
        combined.metadata.lang = language
    return combined


def write_pdf(document: Any) -> bytes:
    """A laid-out document as PDF/UA-1 bytes; refused without a title or a language."""
    if not document.metadata.title:
        raise ValueError("A PDF needs a title: the document has no <title>.")
    if not document.metadata.lang:
        raise ValueError('A PDF needs a language: the document has no <html lang="...">.')
    pdf: bytes = document.write_pdf(pdf_variant=PDF_VARIANT)
    return pdf


def render_pdf(html: str) -> bytes:
    """One HTML document as a tagged PDF (PDF/UA-1), fetching nothing but `data:` URIs."""
    return write_pdf(layout_pdf(html))
