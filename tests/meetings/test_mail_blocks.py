"""Member addresses blocked after bounces: the team's list per neighbourhood, and lifting a
block with a reason that is logged, after which mail to the address is queued again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse

from buurtoverleg.mail.models import Delivery, MailSuppression, MailSuppressionLift
from buurtoverleg.mail.pipeline import Recipient, mailing_create, recipients_for
from meetings.mailings.blocks import mail_suppression_lift, plain_reason
from residents.mail_kinds import ResidentMail
from residents.models import Membership, Role, User
from tests.conftest import PERSONA_NAMES, assert_status, make_person

MANAGE = {"chair", "office", "coordinator"}
BLOCKED_AT = datetime(2026, 3, 5, 14, 0, tzinfo=UTC)
UNKNOWN_USER = (
    "{'%s': (550, b'5.1.1 <%s>: Recipient address rejected: User unknown in virtual mailbox "
    "table')}"
)


def block(email: str, error: str = "", failures: int = 2) -> MailSuppression:
    return MailSuppression.objects.create(
        email=email,
        permanent_failures=failures,
        last_error=error or UNKNOWN_USER % (email, email),
        suppressed_at=BLOCKED_AT,
    )


def page_url(personas, slug: str | None = None) -> str:
    return reverse("mailings:mail_blocks", args=[slug or personas.hood.slug])


def lift_url(suppression: MailSuppression, slug: str) -> str:
    return reverse("mailings:mail_block_lift", args=[slug, suppression.pk])


def lift(client, suppression: MailSuppression, slug: str, reason: str = "Ze heeft het nagekeken."):
    return client.post(lift_url(suppression, slug), {f"lift-{suppression.pk}-reason": reason})


def is_blocked(suppression: MailSuppression) -> bool:
    return MailSuppression.objects.get(pk=suppression.pk).suppressed_at is not None


@pytest.fixture
def resident_blocked(personas) -> MailSuppression:
    return block(personas.resident.email or "")


# --- Permissions -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_page_permissions(as_persona, personas, resident_blocked, persona):
    response = as_persona(persona).get(page_url(personas))
    assert_status(response, persona, MANAGE, 200)
    # Addresses are personal data: only the team that may lift a block sees them.
    assert (b"mohamed@example.nl" in response.content) == (persona in MANAGE)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_lift_permissions(as_persona, personas, resident_blocked, persona):
    response = lift(as_persona(persona), resident_blocked, personas.hood.slug)
    assert_status(response, persona, MANAGE, 302)
    assert is_blocked(resident_blocked) is (persona not in MANAGE)
    assert MailSuppressionLift.objects.count() == (1 if persona in MANAGE else 0)


def test_lift_needs_post(as_persona, personas, resident_blocked):
    response = as_persona("chair").get(lift_url(resident_blocked, personas.hood.slug))
    assert response.status_code == 405
    assert is_blocked(resident_blocked)


def test_another_neighbourhoods_chair_cannot_see_or_lift_this_ones_blocks(
    as_persona, personas, resident_blocked
):
    other = as_persona("outsider_chair")
    # Through this neighbourhood's address: no role here.
    assert other.get(page_url(personas)).status_code == 403
    assert lift(other, resident_blocked, personas.hood.slug).status_code == 403
    # Through their own neighbourhood's address: the address is not one of their members'.
    page = other.get(page_url(personas, personas.other_hood.slug))
    assert page.status_code == 200
    assert b"mohamed@example.nl" not in page.content
    assert lift(other, resident_blocked, personas.other_hood.slug).status_code == 404
    assert is_blocked(resident_blocked)
    assert not MailSuppressionLift.objects.exists()


def test_a_chair_cannot_lift_another_neighbourhoods_address_through_their_own(as_persona, personas):
    outsiders = block(personas.outsider.email or "")
    assert lift(as_persona("chair"), outsiders, personas.hood.slug).status_code == 404
    assert is_blocked(outsiders)


# --- The list ------------------------------------------------------------------------------


def test_the_list_holds_this_neighbourhoods_members_only(as_persona, personas):
    # A member's second address counts, and so does a confirmed applicant's.
    EmailAddress.objects.create(user=personas.second_resident, email="annie@werk.nl")
    block("ANNIE@werk.nl")  # the mail server's spelling may differ in case
    block(personas.pending_resident.email or "")
    block(personas.resident.email or "")
    # Not listed: another neighbourhood's member, an address of nobody here (an invitation),
    # someone who left, an applicant who never confirmed, an address not blocked (yet).
    block(personas.outsider.email or "")
    block("uitgenodigd@example.nl")
    left = make_person("Oud Lid", "oud@example.nl")
    Membership.objects.create(
        user=left, neighbourhood=personas.hood, role=Role.RESIDENT, status="left"
    )
    block("oud@example.nl")
    unconfirmed = User.objects.create_user(email="nooit@example.nl", display_name="Nooit")
    EmailAddress.objects.create(user=unconfirmed, email="nooit@example.nl", verified=False)
    Membership.objects.create(user=unconfirmed, neighbourhood=personas.hood, role=Role.RESIDENT)
    block("nooit@example.nl")
    MailSuppression.objects.create(email="annie@example.nl", permanent_failures=1)

    html = as_persona("office").get(page_url(personas)).content.decode()
    listed = {"annie@werk.nl", "tomasz@example.nl", "mohamed@example.nl"}
    hidden = {"wim@example.nl", "uitgenodigd@example.nl", "oud@example.nl", "nooit@example.nl"}
    for email in listed:
        assert email in html.lower(), email
    for email in hidden | {"annie@example.nl"}:
        assert email not in html, email
    assert "Blocked now (3)" in html
    for name in ("Annie de Groot", "Tomasz Kowalski", "Mohamed Bouzid"):
        assert name in html
    # The other neighbourhood's chair sees their own member's block, and nothing of ours.
    other = as_persona("outsider_chair").get(page_url(personas, personas.other_hood.slug))
    other_html = other.content.decode()
    assert "wim@example.nl" in other_html and "Blocked now (1)" in other_html
    assert not any(email in other_html.lower() for email in listed)


def test_the_list_says_what_went_wrong_in_plain_words_and_since_when(
    as_persona, personas, resident_blocked
):
    html = as_persona("chair").get(page_url(personas)).content.decode()
    entry = html[html.index(f'id="blocked-{resident_blocked.pk}"') :]
    assert "This e-mail address does not exist (any more)." in entry
    assert "5 March 2026" in entry
    # The mail server's own words are there too, folded away.
    assert "<details" in entry and "User unknown in virtual mailbox" in entry
    assert f'name="lift-{resident_blocked.pk}-reason"' in entry


def test_an_empty_list_says_so(as_persona, personas):
    html = as_persona("chair").get(page_url(personas)).content.decode()
    assert "No address of a member is blocked. Nothing to do." in html
    assert "No block has been lifted here yet." in html


@pytest.mark.parametrize(
    ("error", "words"),
    [
        ("(550, b'5.1.1 <a@b.nl>: Recipient address rejected: User unknown')", "does not exist"),
        ("(550, b'5.1.10 RESOLVER.ADR.RecipientNotFound; not found')", "part after the @"),
        ("(550, b'Domain not found')", "part after the @"),
        ("(552, b'5.2.2 Mailbox full')", "mailbox is full"),
        ("(550, b'5.2.1 The email account that you tried to reach is disabled.')", "switched off"),
        ("(554, b'5.7.1 Message rejected as spam')", "refused our e-mail"),
        ("(550, b'Message refused by policy')", "refused our e-mail"),
        ("(550, b'Requested action not taken')", "does not exist"),
        ("(521, b'Does not accept mail')", "cannot receive e-mail"),
        ("", "cannot receive e-mail"),
    ],
)
def test_plain_reason(error, words, settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"):
        assert words in plain_reason(error)


# --- Lifting a block -----------------------------------------------------------------------


def test_lifting_with_a_reason_unblocks_and_logs_who_when_and_why(
    as_persona, personas, resident_blocked
):
    moment = datetime(2026, 3, 9, 10, 15, tzinfo=UTC)
    client = as_persona("office")
    with time_machine.travel(moment, tick=False):
        response = lift(client, resident_blocked, personas.hood.slug, "  Nieuw adres gecheckt. ")
    assert response.status_code == 302
    assert response["Location"] == page_url(personas)
    suppression = MailSuppression.objects.get(pk=resident_blocked.pk)
    assert suppression.suppressed_at is None and suppression.permanent_failures == 0
    log = MailSuppressionLift.objects.get()
    assert log.email == "mohamed@example.nl"
    assert log.lifted_by == personas.office
    assert log.neighbourhood == personas.hood
    assert log.reason == "Nieuw adres gecheckt."
    assert log.lifted_at == moment and log.blocked_at == BLOCKED_AT
    assert "User unknown" in log.last_error
    page = client.get(response["Location"]).content.decode()
    assert "E-mail is sent to mohamed@example.nl again. Your reason has been saved." in page
    assert "Blocked now (0)" in page
    lifted = page[page.index('id="lifts-title"') :]
    assert "mohamed@example.nl" in lifted and "Ans Bakker" in lifted
    assert "Nieuw adres gecheckt." in lifted and "9 March 2026" in lifted


@pytest.mark.parametrize("reason", ["", "   "])
def test_lifting_without_a_reason_is_refused_with_a_clear_message(
    as_persona, personas, resident_blocked, reason
):
    response = lift(as_persona("chair"), resident_blocked, personas.hood.slug, reason)
    assert response.status_code == 400
    html = response.content.decode()
    message = "Write why you lift the block, for example: “She checked her address.”"
    # Once in the summary at the top (a link to the field), once at the field itself.
    assert html.count(message) == 2
    field_id = f"id_lift-{resident_blocked.pk}-reason"
    assert f'href="#{field_id}"' in html
    assert is_blocked(resident_blocked)
    assert not MailSuppressionLift.objects.exists()


def test_a_double_click_lifts_once(as_persona, personas, resident_blocked):
    client = as_persona("chair")
    assert lift(client, resident_blocked, personas.hood.slug).status_code == 302
    second = lift(client, resident_blocked, personas.hood.slug)
    assert second.status_code == 302
    assert (
        "This address is not blocked any more." in client.get(second["Location"]).content.decode()
    )
    assert MailSuppressionLift.objects.count() == 1


def test_the_next_mailing_to_a_lifted_address_is_queued_again(personas, resident_blocked):
    def mail_resident() -> str:
        mailing = mailing_create(
            kind=ResidentMail.MEMBERSHIP_APPROVED,
            template="emails/membership_approved",
            recipients=recipients_for([personas.resident]),
            neighbourhood=personas.hood,
        )
        return Delivery.objects.get(mailing=mailing).status

    assert mail_resident() == Delivery.Status.SUPPRESSED
    mail_suppression_lift(
        suppression=resident_blocked, by=personas.chair, reason="Adres klopt weer."
    )
    assert mail_resident() == Delivery.Status.QUEUED


def test_the_service_refuses_an_empty_reason_and_a_block_already_lifted(personas, resident_blocked):
    with pytest.raises(ValidationError) as empty:
        mail_suppression_lift(suppression=resident_blocked, by=personas.chair, reason=" \n")
    assert empty.value.error_dict["reason"][0].code == "reason_required"
    mail_suppression_lift(suppression=resident_blocked, by=personas.chair, reason="Klopt.")
    with pytest.raises(ValidationError) as again:
        mail_suppression_lift(suppression=resident_blocked, by=personas.chair, reason="Klopt.")
    assert again.value.code == "not_blocked"
    assert MailSuppressionLift.objects.count() == 1


def test_a_lifted_address_is_blocked_again_only_after_new_failures(
    personas, resident_blocked, settings
):
    from buurtoverleg.mail.pipeline import _record_permanent_failure

    settings.MAIL_SUPPRESS_AFTER_PERMANENT_FAILURES = 2
    mail_suppression_lift(suppression=resident_blocked, by=personas.chair, reason="Klopt.")
    _record_permanent_failure("mohamed@example.nl", "(550, b'5.1.1 User unknown')")
    assert not is_blocked(resident_blocked)
    _record_permanent_failure("mohamed@example.nl", "(550, b'5.1.1 User unknown')")
    assert is_blocked(resident_blocked)


# --- Links, admin, query counts ------------------------------------------------------------


def test_the_page_is_linked_for_the_team(as_persona, personas):
    hood_url = reverse("neighbourhood", args=[personas.hood.slug])
    link = f'href="{page_url(personas)}"'
    for persona, shown in (("chair", True), ("office", True), ("coordinator", True),
                           ("minute_taker", False), ("resident", False)):  # fmt: skip
        assert (link in as_persona(persona).get(hood_url).content.decode()) is shown, persona
    mailings = as_persona("chair").get(reverse("mailings:mailings", args=[personas.hood.slug]))
    assert link in mailings.content.decode()


def test_the_log_is_read_only_in_the_admin(rf, personas, resident_blocked):
    mail_suppression_lift(suppression=resident_blocked, by=personas.chair, reason="Klopt.")
    model_admin = admin.site._registry[MailSuppressionLift]
    request = rf.get("/")
    request.user = make_person("Beheerder", "beheer@example.nl", is_staff=True, is_superuser=True)
    log = MailSuppressionLift.objects.get()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, log)
    assert not model_admin.has_delete_permission(request, log)
    assert model_admin.has_view_permission(request, log)


def grow(personas, count: int, prefix: str) -> None:
    """`count` members with blocked addresses, and as many lifts in the log."""
    for i in range(count):
        user = make_person(f"Bewoner {prefix}{i}", f"{prefix}{i}@example.nl")
        Membership.objects.create(
            user=user, neighbourhood=personas.hood, role=Role.RESIDENT, status="active"
        )
        block(user.email or "")
        lifted = block(f"{prefix}{i}-oud@example.nl")
        mail_suppression_lift(
            suppression=lifted, by=personas.chair, reason="Klopt.", neighbourhood=personas.hood
        )


@pytest.mark.parametrize("viewer", ["chair", "office", "coordinator"])
def test_page_query_count_does_not_grow(
    as_persona, personas, viewer, django_assert_max_num_queries, django_assert_num_queries
):
    grow(personas, 2, "a")
    client = as_persona(viewer)
    client.get(page_url(personas))  # warm the session and the second-factor check
    with django_assert_max_num_queries(12) as small:
        client.get(page_url(personas))
    grow(personas, 30, "b")
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(page_url(personas))
    html = response.content.decode()
    assert "Blocked now (32)" in html
    assert html.count('<article class="card" id="blocked-') == 32


def test_mail_to_an_invited_address_is_not_listed_but_still_blocked(as_persona, personas):
    invited = block("uitgenodigd@example.nl")
    mailing = mailing_create(
        kind=ResidentMail.INVITATION,
        template="emails/invitation",
        recipients=[Recipient(email="uitgenodigd@example.nl")],
        neighbourhood=personas.hood,
    )
    assert Delivery.objects.get(mailing=mailing).status == Delivery.Status.SUPPRESSED
    assert lift(as_persona("chair"), invited, personas.hood.slug).status_code == 404
