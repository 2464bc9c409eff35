"""Browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live server.

One browser per session; every test gets fresh contexts (a small phone by default). The live
server runs in this process, so mail lands in django.core.mail.outbox and the locmem cache
(rate limits, used TOTP codes) is the one the autouse fixture clears.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import override_settings
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Route,
    ViewportSize,
    sync_playwright,
)
from pytest_django.live_server_helper import LiveServer

from tests.conftest import REQUIRE_SERVICES, require_service
from tests.e2e.served import SERVED
from tests.e2e.support import AXE_SCRIPT, PHONE, NewPage, mark_scriptless

# Playwright's sync API keeps an event loop in this thread; the ORM calls in the tests are
# still plain synchronous calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

HERE = Path(__file__).parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000
# Chromium used to say "Refused to load ...", now "... violates the following Content
# Security Policy directive ...".
CSP_REPORT = re.compile(r"Refused to|Content[ -]Security[ -]Policy", re.IGNORECASE)
PROBLEMS = pytest.StashKey[list[str]]()
# What the tests answer for map tiles: nothing leaves this machine (settings.MAP_TILE_URL).
BLANK_TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


# The Nu Html Checker, installed from the npm registry by .ci/run (.ci/package.json).
VNU_JAR = Path(
    os.environ.get("VNU_JAR")
    or settings.BASE_DIR / ".ci" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a browser test on any JavaScript error or Content-Security-Policy violation."""
    try:
        result = yield
    except BaseException:
        problems = item.stash.get(PROBLEMS, [])
        if problems:
            item.add_report_section("call", "browser console", "\n".join(problems))
        raise
    problems = item.stash.get(PROBLEMS, [])
    if problems:
        pytest.fail("The browser reported problems:\n" + "\n".join(problems), pytrace=False)
    return result


@pytest.fixture(autouse=True)
def _committed_data(transactional_db: None) -> None:
    """The live server answers from its own thread (and, on PostgreSQL, its own connection):
    it only sees committed data, so every browser test runs on a transactional database.
    pytest-django would choose that anyway once `live_server` is used, also for `personas`
    (which asks for `db`); asking for it here keeps that true for every test in this folder.
    """


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest, django_db_setup: None) -> Iterator[LiveServer]:
    """pytest-django's live server, started with plain-HTTP settings.

    The server builds its middleware once, when it starts, and that happens before the
    function-scoped `settings` fixture of tests/conftest.py can switch off the HTTPS redirect.
    """
    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    # Last in line, so it keeps each page as the browser got it (tests/e2e/served.py).
    middleware = [*settings.MIDDLEWARE, "tests.e2e.served.KeepServedPages"]
    with override_settings(SECURE_SSL_REDIRECT=False, MIDDLEWARE=middleware):
        server = LiveServer(addr)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    require_service(
        "Chromium",
        executable is not None,
        "there is no `chromium` on PATH (apt-get install chromium)",
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(
    browser: Browser, live_server: LiveServer, browser_problems: list[str]
) -> Iterator[NewPage]:
    """Open a page in a fresh context (own cookies), watched for JS errors and CSP reports.

    The Content-Security-Policy is enforced: axe-core comes in as an init script, which the
    browser runs outside the page's policy, so no test needs bypass_csp.
    """
    problems = browser_problems
    contexts: list[BrowserContext] = []
    here = urlsplit(live_server.url).netloc

    def new_context(viewport: ViewportSize, **options: Any) -> BrowserContext:
        context = browser.new_context(
            base_url=live_server.url, locale="nl-NL", viewport=viewport, **options
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.route(lambda url: url.startswith("http") and urlsplit(url).netloc != here, offline)
        contexts.append(context)
        return context

    def offline(route: Route) -> None:
        """No request leaves this machine: tiles get a blank image, anything else fails."""
        url = route.request.url
        if urlsplit(url).hostname == urlsplit(settings.MAP_TILE_URL).hostname:
            route.fulfill(body=BLANK_TILE, content_type="image/png")
        else:
            problems.append(f"request to another host: {url}")
            route.abort()

    def open_page(
        *,
        viewport: ViewportSize = PHONE,
        bypass_csp: bool = False,
        java_script_enabled: bool = True,
    ) -> Page:
        context = new_context(
            viewport, bypass_csp=bypass_csp, java_script_enabled=java_script_enabled
        )
        if java_script_enabled:
            context.add_init_script(AXE_SCRIPT)  # loaded with every page, ready for axe.run
        page = context.new_page()

        def on_console(message: ConsoleMessage) -> None:
            where = message.location.get("url", "")
            if where.endswith("/favicon.ico"):
                return  # asked for by the browser itself, not by our pages
            if message.type == "error" or CSP_REPORT.search(message.text):
                problems.append(f"console.{message.type}: {message.text} ({where})")

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        if not java_script_enabled:
            twin = new_context(viewport)
            twin.add_init_script(AXE_SCRIPT)
            twin.route("**/*.js", lambda route: route.abort())
            mark_scriptless(page, twin.new_page())
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def browser_problems(request: pytest.FixtureRequest) -> list[str]:
    """What the pages of this test reported so far: JS errors and CSP violations."""
    return request.node.stash.setdefault(PROBLEMS, [])


@pytest.fixture
def page(new_page: NewPage) -> Page:
    return new_page()


@pytest.fixture(scope="session", autouse=True)
def _valid_html() -> Iterator[None]:
    """After the browser tests: every page they were served validates (Nu Html Checker), in one
    batch. Without Java or the checker this is skipped, except under REQUIRE_SERVICES=1."""
    yield
    if not SERVED:
        return
    java = shutil.which("java")
    if java is None or not VNU_JAR.exists():
        if REQUIRE_SERVICES:
            pytest.fail(
                f"The Nu Html Checker is required (REQUIRE_SERVICES=1): java={java}, "
                f"{VNU_JAR} exists={VNU_JAR.exists()} (npm ci --prefix .ci)"
            )
        return
    with tempfile.TemporaryDirectory() as folder:
        urls: dict[str, str] = {}
        for number, (url, html) in enumerate(SERVED.values()):
            path = Path(folder) / f"page-{number:04d}.html"
            path.write_text(html, encoding="utf-8")
            urls[f"file:{path}"] = url  # how the checker names the file in its report
        run = subprocess.run(  # noqa: S603 - our own files, the checker from .ci/
            [
                java,
                "-jar",
                str(VNU_JAR),
                "--errors-only",
                "--format",
                "json",
                *sorted(url.removeprefix("file:") for url in urls),  # paths: a file: URI is
            ],  # taken as an address to fetch, and then nothing is checked
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
    try:  # the checker always answers with its version and messages, an empty list if valid
        messages = json.loads(run.stderr)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"The Nu Html Checker did not answer (exit {run.returncode}): {run.stderr}")
    if messages:
        lines = [f"{len(messages)} HTML error(s) in the {len(SERVED)} pages served:"]
        for message in messages[:200]:
            where = urls.get(message.get("url", ""), message.get("url", ""))
            lines.append(
                f"- {where} line {message.get('lastLine')}: {message.get('message')}"
                f" [{(message.get('extract') or '').strip()[:120]}]"
            )
        pytest.fail("\n".join(lines), pytrace=False)
