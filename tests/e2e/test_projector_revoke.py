"""The chair revokes the projector link in Chromium.

The projector page keeps its key out of referrers with `Referrer-Policy: no-referrer`; a page
with that policy makes Chromium post `Origin: null`, which the CSRF check refuses. The chair's
link page, with the revoke form, must not: this walks the real form in the real browser.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from meetings.planning.models import Meeting
from meetings.services import agenda_publish, meeting_create
from tests.conftest import Personas
from tests.e2e.support import DESKTOP, NewPage, check_accessibility, log_in


def test_chair_revokes_the_projector_link_and_the_old_one_stops(
    new_page: NewPage, personas: Personas
) -> None:
    hood = personas.hood
    now = timezone.now()
    meeting = meeting_create(
        neighbourhood=hood, starts_at=now, ends_at=now + timedelta(hours=2), place="De Linde"
    )
    agenda_publish(meeting=meeting)
    old_url = reverse("room:projector", args=[meeting.projector_key])

    chair = new_page(viewport=DESKTOP)
    chair.goto("/")
    log_in(chair, personas.chair.email, second_factor=True)
    assert chair.request.get(old_url).status == 200  # the link works until it is revoked
    link_page = chair.goto(reverse("room:projector_link", args=[hood.slug, meeting.pk]))
    assert link_page is not None and link_page.status == 200
    expect(chair.get_by_role("heading", level=1, name="Scherm in de zaal")).to_be_visible()
    check_accessibility(chair)

    chair.get_by_label("Ja, de oude link moet nu stoppen met werken").check()
    with chair.expect_response(lambda r: r.request.method == "POST") as posted:
        chair.get_by_role("button", name="Intrekken en een nieuwe link maken").click()
    assert posted.value.status == 302  # not 403 "Origin checking failed - null"
    expect(chair.get_by_text("Er is een nieuwe link voor het scherm in de zaal.")).to_be_visible()
    check_accessibility(chair)

    new_key = Meeting.objects.get(pk=meeting.pk).projector_key
    new_url = reverse("room:projector", args=[new_key])
    assert new_url != old_url
    expect(chair.get_by_label("Link naar het scherm")).to_have_value(
        re.compile(re.escape(new_url) + "$")
    )
    assert chair.request.get(old_url).status == 404
    assert chair.request.get(new_url).status == 200
