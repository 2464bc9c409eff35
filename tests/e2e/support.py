"""Helpers for the browser tests: accessibility checks, codes from the mail outbox, logging in."""

from __future__ import annotations

import hashlib
import re
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import axe_playwright_python
import pytest
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core import mail
from playwright.sync_api import Page, Route, ViewportSize, expect

from tests.conftest import TOTP_SECRET

AXE_SCRIPT = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BLOCKING_IMPACTS = {"serious", "critical"}
# The code in our mails stands on its own line, indented by four spaces.
CODE_RE = re.compile(r"^\s{4}(\S+)\s*$", re.MULTILINE)
TOTP_PERIOD = 30
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
# new_page(viewport=PHONE, bypass_csp=False, java_script_enabled=True) -> Page
NewPage = Callable[..., Page]
# The CSRF token, in the forms and in the htmx headers (the DOM serialises `"` as &quot;).
CSRF_TOKEN_RE = re.compile(r'(?<=name="csrfmiddlewaretoken" value=")[^"]+|(?<=x-csrftoken)[^}]+')
_CLEAN: set[str] = set()
_SCRIPTLESS: weakref.WeakKeyDictionary[Page, Page] = weakref.WeakKeyDictionary()


def check_accessibility(page: Page) -> None:
    """Run axe-core (WCAG 2.0/2.1/2.2 A and AA) on the page; fail on serious or critical issues.

    A page whose DOM (apart from the CSRF token) and viewport were already found clean in this
    session is not checked again: axe would give the same answer.
    """
    page.wait_for_load_state("load")
    html = page.content()
    fingerprint = hashlib.sha256(
        f"{page.viewport_size}\n{CSRF_TOKEN_RE.sub('', html)}".encode()
    ).hexdigest()
    if fingerprint in _CLEAN:
        return
    violations = _axe_on_copy(page, html) if page in _SCRIPTLESS else _axe(page)
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
    if blocking:
        lines = [f"axe found {len(blocking)} serious/critical violation(s) on {page.url}:"]
        for violation in blocking:
            lines.append(
                f"- {violation['id']} ({violation['impact']}): {violation['help']}"
                f" [{violation['helpUrl']}]"
            )
            for node in violation["nodes"]:
                lines.append(f"    {node['target']}: {node['html'][:200]}")
                summary = node.get("failureSummary") or ""
                lines.extend(f"      {line.strip()}" for line in summary.splitlines())
        pytest.fail("\n".join(lines), pytrace=False)
    _CLEAN.add(fingerprint)


def mark_scriptless(page: Page, twin: Page) -> None:
    """`page` runs without JavaScript; check_accessibility checks copies of it in `twin`,
    a page in a context with scripts on (axe-core needs them), the same size and no other
    scripts (see _axe_on_copy)."""
    _SCRIPTLESS[page] = twin


def _axe(page: Page) -> list[dict[str, Any]]:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    results: dict[str, Any] = page.evaluate(
        """tags => axe.run(document, {
            runOnly: {type: "tag", values: tags},
            resultTypes: ["violations"],
        })""",
        WCAG_TAGS,
    )
    return results["violations"]


def _axe_on_copy(page: Page, html: str) -> list[dict[str, Any]]:
    """axe-core needs timers, which do not run where scripts are off: check the page's DOM as
    it is, served at the same address (so with the same styles) to its twin."""
    url = page.url
    twin = _SCRIPTLESS[page]

    def is_page(address: str) -> bool:
        return address == url

    def serve(route: Route) -> None:
        route.fulfill(body=html, content_type="text/html; charset=utf-8")

    twin.route(is_page, serve)
    try:
        twin.goto(url)
    finally:
        twin.unroute(is_page, serve)
    return _axe(twin)


def mailed_code(to: str) -> str:
    """The code from the newest mail to this address."""
    messages = [m for m in mail.outbox if to in m.to]
    assert messages, f"no mail to {to}; outbox: {[m.to for m in mail.outbox]}"
    match = CODE_RE.search(str(messages[-1].body))
    assert match, messages[-1].body
    return match.group(1)


def current_totp() -> str:
    """The authenticator code for TOTP_SECRET, never one about to expire (allauth accepts
    only the current period's code)."""
    left = TOTP_PERIOD - time.time() % TOTP_PERIOD
    if left < 5:
        time.sleep(left + 0.1)
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(TOTP_SECRET, counter))


def request_login_code(page: Page, email: str | None) -> str:
    assert email, "only people with an e-mail address can log in"
    """From any page: "Inloggen", ask for a code, and return the code that was mailed."""
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Inloggen").click()
    expect(page.get_by_role("heading", level=1, name="Inloggen")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_role("button", name="Stuur mij een code").click()
    expect(page.get_by_role("heading", level=1, name="Vul uw code in")).to_be_visible()
    check_accessibility(page)
    return mailed_code(email)


def log_in(page: Page, email: str | None, *, second_factor: bool = False) -> None:
    assert email, "only people with an e-mail address can log in"
    """Log in by e-mailed code and, for the support team, the authenticator code."""
    code = request_login_code(page, email)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Inloggen").click()
    if second_factor:
        expect(page.get_by_role("heading", level=1)).to_have_text("Tweede stap: de code uit uw app")
        check_accessibility(page)
        page.get_by_label("Code").fill(current_totp())
        page.get_by_role("button", name="Inloggen").click()
    expect_logged_in(page)
    check_accessibility(page)


def expect_logged_in(page: Page) -> None:
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()


def expect_logged_out(page: Page) -> None:
    expect(page.get_by_role("button", name="Uitloggen")).to_have_count(0)
    expect(
        page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Inloggen")
    ).to_be_visible()
