"""A resident on a phone stops one kind of mail from the link in a mail, then all mail from the
neighbourhood, and turns one kind back on under Mijn gegevens; the chair lifts a block on an
address that bounced, with a reason."""

from __future__ import annotations

import re

from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from buurtoverleg.mail.models import MailSuppression, MailSuppressionLift
from buurtoverleg.mail.pipeline import mailing_create, mailing_send, recipients_for
from meetings.mail_kinds import MeetingMail
from residents.models import MailPreference, MailTopic
from tests.conftest import Personas
from tests.e2e.support import DESKTOP, NewPage, check_accessibility, log_in


def digest_to(personas: Personas) -> str:
    """A digest reaches the resident; the path of its unsubscribe link."""
    mailing = mailing_create(
        kind=MeetingMail.DIGEST,
        template="emails/membership_approved",
        recipients=recipients_for([personas.resident]),
        neighbourhood=personas.hood,
        context={"neighbourhood_url": "https://x/buurt", "login_url": "https://x/login"},
        key="e2e-digest",
    )
    mailing_send(mailing_id=mailing.pk)
    [message] = [m for m in mail.outbox if m.to == [personas.resident.email]]
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_a_resident_stops_one_kind_then_all_and_turns_one_back_on(
    page: Page, personas: Personas
) -> None:
    hood = personas.hood
    page.goto(digest_to(personas))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "E-mails van het buurtoverleg stoppen"
    )
    expect(page.get_by_text("Wat er is veranderd sinds het vorige overleg")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Deze e-mails stoppen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("U krijgt deze e-mails niet meer")
    check_accessibility(page)
    assert list(MailPreference.objects.values_list("topic", "enabled")) == [("digest", False)]

    page.get_by_role("button", name=f"Alle e-mail van {hood.name} stoppen").click()
    expect(page.get_by_text("De notulen na elk overleg")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Alle e-mail van"))).to_have_count(0)
    check_accessibility(page)
    assert set(MailPreference.objects.filter(enabled=False).values_list("topic", flat=True)) == set(
        MailTopic.values
    )

    # Changed their mind about the minutes: back on under Mijn gegevens.
    log_in(page, personas.resident.email)
    page.goto("/mijn-gegevens/")
    mail_from = page.get_by_role("group", name=f"E-mail van {hood.name}")
    minutes = mail_from.get_by_label("De notulen na elk overleg")
    expect(minutes).not_to_be_checked()
    expect(mail_from.get_by_label("Nooit")).to_be_checked()
    check_accessibility(page)
    minutes.check()
    mail_from.get_by_label("Alleen als ik heb gezegd dat ik kom").check()
    page.get_by_role("button", name="Mijn gegevens opslaan").click()
    expect(page.get_by_text("Uw gegevens zijn opgeslagen.")).to_be_visible()
    check_accessibility(page)
    expect(
        page.get_by_role("group", name=f"E-mail van {hood.name}").get_by_label(
            "De notulen na elk overleg"
        )
    ).to_be_checked()
    assert not MailPreference.objects.filter(topic__in=["minutes", "meeting_reminder"]).exists()
    assert MailPreference.objects.filter(topic="digest", enabled=False).exists()


def test_the_chair_lifts_a_block_with_a_reason(
    new_page: NewPage, personas: Personas, browser_problems: list[str]
) -> None:
    address = personas.second_resident.email
    assert address is not None
    blocked = MailSuppression.objects.create(
        email=address,
        permanent_failures=2,
        last_error="550 5.1.1 Mailbox unavailable",
        suppressed_at=timezone.now(),
    )
    page = new_page(viewport=DESKTOP)
    page.goto(personas.hood.get_absolute_url())
    log_in(page, personas.chair.email, second_factor=True)
    page.goto(f"/buurt/{personas.hood.slug}/e-mails/geblokkeerd/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Geblokkeerde e-mailadressen")
    card = page.locator(f"#blocked-{blocked.pk}")
    expect(card).to_contain_text(personas.second_resident.display_name)
    check_accessibility(page)
    card.get_by_role("button", name=re.compile("Blokkade opheffen")).click()
    expect(page.get_by_role("alert")).to_be_visible()  # no reason given: nothing lifted
    check_accessibility(page)
    blocked.refresh_from_db()
    assert blocked.suppressed_at is not None
    # The refused form answers 400 on purpose; the browser logs that status, nothing else.
    browser_problems[:] = [p for p in browser_problems if not ("400" in p and "opheffen" in p)]
    page.locator(f"#blocked-{blocked.pk}").get_by_role("textbox").fill(
        "Mevrouw heeft gebeld: haar mailbox werkt weer."
    )
    page.locator(f"#blocked-{blocked.pk}").get_by_role(
        "button", name=re.compile("Blokkade opheffen")
    ).click()
    expect(page.get_by_text("Mevrouw heeft gebeld: haar mailbox werkt weer.")).to_be_visible()
    check_accessibility(page)
    blocked.refresh_from_db()
    assert blocked.suppressed_at is None
    lift = MailSuppressionLift.objects.get()
    assert lift.lifted_by == personas.chair and "mailbox werkt weer" in lift.reason
