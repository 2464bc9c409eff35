"""What the live server answered to the browser tests: every full HTML page, as served.

The live server's middleware is built once, with this one added last (tests/e2e/conftest.py),
so it sees the final bytes of each response. Only documents the browser navigated to count
(Sec-Fetch-Dest): fragments that htmx or a script fetch are parts of a page. The pages are
validated in one batch when the session ends.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from tests.e2e.support import CSRF_TOKEN_RE

# (url, html) by content, CSRF tokens left out: the same page twice is checked once.
SERVED: dict[str, tuple[str, str]] = {}
_LOCK = threading.Lock()


class KeepServedPages:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            "text/html" in response.get("Content-Type", "")
            # Pages the browser navigated to, not fragments fetched by htmx or a script.
            and request.headers.get("Sec-Fetch-Dest") == "document"
            and not response.streaming
            and response.content
        ):
            html = response.content.decode(response.charset or "utf-8", errors="replace")
            key = hashlib.sha256(CSRF_TOKEN_RE.sub("", html).encode()).hexdigest()
            with _LOCK:
                SERVED.setdefault(key, (request.get_full_path(), html))
        return response
