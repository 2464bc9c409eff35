"""The chair's members page: applications, roles, invitations by e-mail, paper residents."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from residents.models import InviteCode, Membership, Role, User
from residents.services import membership_approve, membership_roles_set, paper_resident_add
from tests.conftest import PERSONA_NAMES, assert_status, make_person
from tests.support import view_name

VIEW_MEMBERS = {"chair", "minute_taker", "office", "coordinator"}
MANAGE_MEMBERS = {"chair", "coordinator"}
SET_ROLES = {"chair", "coordinator"}


def pending_membership(personas) -> Membership:
    return Membership.objects.get(user=personas.pending_resident, neighbourhood=personas.hood)


def members_url(personas) -> str:
    return reverse("members:members", args=[personas.hood.slug])


# --- Permissions -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_members_page_permissions(as_persona, personas, persona):
    response = as_persona(persona).get(members_url(personas))
    assert_status(response, persona, VIEW_MEMBERS, 200)
    if response.status_code != 200:
        assert b"Tomasz Kowalski" not in response.content


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_approve_permissions(as_persona, personas, persona):
    membership = pending_membership(personas)
    response = as_persona(persona).post(
        reverse("members:member_approve", args=[personas.hood.slug, membership.pk])
    )
    assert_status(response, persona, MANAGE_MEMBERS, 302)
    membership.refresh_from_db()
    expected = "active" if persona in MANAGE_MEMBERS else "pending"
    assert membership.status == expected


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_reject_permissions(as_persona, personas, persona):
    membership = pending_membership(personas)
    response = as_persona(persona).post(
        reverse("members:member_reject", args=[personas.hood.slug, membership.pk])
    )
    assert_status(response, persona, MANAGE_MEMBERS, 302)
    membership.refresh_from_db()
    assert membership.status == ("rejected" if persona in MANAGE_MEMBERS else "pending")


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_roles_page_permissions(as_persona, personas, persona):
    url = reverse("members:member_roles", args=[personas.hood.slug, personas.resident.pk])
    assert_status(as_persona(persona).get(url), persona, SET_ROLES, 200)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_roles_save_permissions(as_persona, personas, persona):
    url = reverse("members:member_roles", args=[personas.hood.slug, personas.resident.pk])
    response = as_persona(persona).post(url, {"roles": ["resident", "minute_taker"]})
    assert_status(response, persona, SET_ROLES, 302)
    has_role = (
        Membership.objects.active()
        .filter(user=personas.resident, neighbourhood=personas.hood, role=Role.MINUTE_TAKER)
        .exists()
    )
    assert has_role == (persona in SET_ROLES)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_invite_page_permissions(as_persona, personas, persona):
    url = reverse("members:member_invite", args=[personas.hood.slug])
    assert_status(as_persona(persona).get(url), persona, MANAGE_MEMBERS, 200)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_invite_send_permissions(as_persona, personas, persona):
    url = reverse("members:member_invite", args=[personas.hood.slug])
    response = as_persona(persona).post(url, {"email": "nieuw@example.nl"})
    assert_status(response, persona, MANAGE_MEMBERS, 302)
    assert InviteCode.objects.filter(email="nieuw@example.nl").exists() == (
        persona in MANAGE_MEMBERS
    )


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_paper_resident_permissions(as_persona, personas, persona):
    url = reverse("members:member_add_paper", args=[personas.hood.slug])
    client = as_persona(persona)
    assert_status(client.get(url), persona, MANAGE_MEMBERS, 200)
    response = client.post(
        url, {"name": "Truus Bakker", "postcode": "3527 GH", "house_number": "3"}
    )
    assert_status(response, persona, MANAGE_MEMBERS, 302)
    assert User.objects.filter(display_name="Truus Bakker").exists() == (persona in MANAGE_MEMBERS)


# --- The members page ---------------------------------------------------------------------


def test_members_page_lists_applications_first_then_members_with_all_roles(as_persona, personas):
    html = as_persona("chair").get(members_url(personas)).content.decode()
    pending = html.index("Tomasz Kowalski")
    assert pending < html.index("Mohamed Bouzid")
    assert "tomasz@example.nl" in html
    assert (
        reverse(
            "members:member_approve", args=[personas.hood.slug, pending_membership(personas).pk]
        )
        in html
    )
    # Lotte holds two roles; both are shown in her row.
    row = html[html.index("Lotte Mulder") :]
    row = row[: row.index("</tr>")]
    assert "Resident" in row and "Minute-taker" in row
    assert "Politie Midden-Nederland" in html
    assert "Joke Kramer" in html and "No e-mail" in html
    # Nobody from the other neighbourhood.
    assert "Wim Verhoeven" not in html and "Joost Peters" not in html


def test_minute_taker_sees_members_but_cannot_decide_or_set_roles(as_persona, personas):
    html = as_persona("minute_taker").get(members_url(personas)).content.decode()
    assert "Tomasz Kowalski" in html
    assert (
        reverse(
            "members:member_approve", args=[personas.hood.slug, pending_membership(personas).pk]
        )
        not in html
    )
    assert (
        reverse("members:member_roles", args=[personas.hood.slug, personas.resident.pk]) not in html
    )
    assert reverse("members:member_invite", args=[personas.hood.slug]) not in html


def test_approve_and_reject_forms_work_without_javascript(as_persona, personas):
    html = as_persona("chair").get(members_url(personas)).content.decode()
    url = reverse(
        "members:member_approve", args=[personas.hood.slug, pending_membership(personas).pk]
    )
    assert f'method="post" action="{url}"' in html
    assert f'hx-post="{url}"' in html
    assert "style=" not in html and "<script>" not in html and " onclick" not in html


def _grow(personas, extra: int) -> None:
    for i in range(extra):
        user = make_person(
            f"Bewoner {i}", f"bewoner{i}@example.nl", postcode="3527AB", house_number=str(i + 1)
        )
        Membership.objects.create(
            user=user, neighbourhood=personas.hood, role=Role.RESIDENT, status="active"
        )
        Membership.objects.create(
            user=user,
            neighbourhood=personas.hood,
            role=Role.PROFESSIONAL,
            organisation=personas.housing,
            status="active",
        )
        Membership.objects.create(
            user=make_person(f"Aanmelder {i}", f"nieuw{i}@example.nl"),
            neighbourhood=personas.hood,
            role=Role.RESIDENT,
        )


@pytest.mark.parametrize("viewer", ["chair", "coordinator", "office"])
def test_members_page_query_count_does_not_grow(
    as_persona, personas, viewer, django_assert_max_num_queries, django_assert_num_queries
):
    client = as_persona(viewer)
    url = members_url(personas)
    client.get(url)  # warm the session and the second-factor check
    with django_assert_max_num_queries(15) as small:
        client.get(url)
    _grow(personas, 30)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('<tr id="application-') == 31


# --- Approving and turning down -------------------------------------------------------------


def test_chair_approves_an_application_and_the_applicant_gets_one_mail(
    as_persona, personas, django_capture_on_commit_callbacks
):
    membership = pending_membership(personas)
    url = reverse("members:member_approve", args=[personas.hood.slug, membership.pk])
    client = as_persona("chair")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302 and response.url == members_url(personas)
    membership.refresh_from_db()
    assert membership.status == "active"
    assert membership.decided_by == personas.chair and membership.decided_at
    assert [m.to for m in mail.outbox] == [["tomasz@example.nl"]]
    assert "Kanaleneiland-Noord" in mail.outbox[0].subject
    assert reverse("neighbourhood", args=[personas.hood.slug]) in mail.outbox[0].body
    # A second click changes nothing and mails nobody.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(("language", "greeting"), [("nl", "Welkom bij"), ("en", "Welcome to")])
def test_the_welcome_mail_is_in_the_applicants_language(
    personas, language, greeting, django_capture_on_commit_callbacks
):
    personas.pending_resident.language = language
    personas.pending_resident.save()
    with django_capture_on_commit_callbacks(execute=True):
        membership_approve(membership=pending_membership(personas), by=personas.chair)
    [message] = mail.outbox
    assert message.to == ["tomasz@example.nl"]
    assert greeting in message.subject


@pytest.mark.parametrize(("language", "month"), [("nl", "maart"), ("en", "March")])
def test_mail_is_rendered_in_the_language_asked_for(
    personas, language, month, django_capture_on_commit_callbacks
):
    from buurtoverleg.mail.pipeline import Recipient, mailing_create

    invite = InviteCode.objects.create(
        neighbourhood=personas.hood,
        email="a@example.nl",
        expires_at=datetime(2030, 3, 15, 12, tzinfo=UTC),
    )
    with django_capture_on_commit_callbacks(execute=True):
        mailing_create(
            kind="invitation",
            template="emails/invitation",
            recipients=[Recipient(email="a@example.nl", language=language)],
            neighbourhood=personas.hood,
            subject=invite,
            context={"join_url": "https://x"},
        )
    [message] = mail.outbox
    assert f"15 {month} 2030" in message.body
    assert message.subject.startswith("[buurtoverleg] ")


def test_no_mail_is_sent_when_the_approval_is_rolled_back(
    personas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        membership_approve(membership=pending_membership(personas), by=personas.chair)
    assert len(callbacks) == 1  # sending waits for the commit
    assert mail.outbox == []


def test_chair_turns_down_an_application_without_mail(
    as_persona, personas, django_capture_on_commit_callbacks
):
    membership = pending_membership(personas)
    with django_capture_on_commit_callbacks(execute=True):
        as_persona("chair").post(
            reverse("members:member_reject", args=[personas.hood.slug, membership.pk])
        )
    membership.refresh_from_db()
    assert membership.status == "rejected" and membership.decided_by == personas.chair
    assert mail.outbox == []


def test_htmx_approval_swaps_only_the_row(as_persona, personas):
    membership = pending_membership(personas)
    response = as_persona("chair").post(
        reverse("members:member_approve", args=[personas.hood.slug, membership.pk]),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith(f'<tr id="application-{membership.pk}"')
    assert "<html" not in html
    assert "Approved" in html and "Tomasz Kowalski is now a member" in html


def test_approving_requires_post(as_persona, personas):
    url = reverse(
        "members:member_approve", args=[personas.hood.slug, pending_membership(personas).pk]
    )
    assert as_persona("chair").get(url).status_code == 405


def test_chair_cannot_decide_on_an_application_of_another_neighbourhood(as_persona, personas):
    elsewhere = Membership.objects.create(
        user=make_person("Karim Benali", "karim@example.nl"),
        neighbourhood=personas.other_hood,
        role=Role.RESIDENT,
    )
    # Through their own neighbourhood's address: the id is not found there.
    response = as_persona("chair").post(
        reverse("members:member_approve", args=[personas.hood.slug, elsewhere.pk])
    )
    assert response.status_code == 404
    # The chair of the other neighbourhood cannot reach this one's applications either.
    mine = pending_membership(personas)
    client = as_persona("outsider_chair")
    assert (
        client.post(
            reverse("members:member_approve", args=[personas.other_hood.slug, mine.pk])
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("members:member_approve", args=[personas.hood.slug, mine.pk])
        ).status_code
        == 403
    )
    elsewhere.refresh_from_db()
    mine.refresh_from_db()
    assert elsewhere.status == mine.status == "pending"


# --- Roles ----------------------------------------------------------------------------------


def roles_url(personas, user: User) -> str:
    return reverse("members:member_roles", args=[personas.hood.slug, user.pk])


def active_roles(personas, user: User) -> set[str]:
    return set(
        Membership.objects.active()
        .filter(user=user, neighbourhood=personas.hood)
        .values_list("role", flat=True)
    )


def test_roles_page_shows_the_current_roles_checked(as_persona, personas):
    html = as_persona("chair").get(roles_url(personas, personas.minute_taker)).content.decode()
    assert 'value="resident" id="id_roles_0" checked' in html
    assert 'value="minute_taker" id="id_roles_2" checked' in html
    assert 'value="chair" id="id_roles_1" checked' not in html


def test_professional_without_organisation_is_a_form_error_not_a_crash(as_persona, personas):
    response = as_persona("chair").post(
        roles_url(personas, personas.resident), {"roles": ["professional"], "organisation": ""}
    )
    assert response.status_code == 200
    assert "Choose the organisation this professional works for" in response.content.decode()
    assert active_roles(personas, personas.resident) == {"resident"}


def test_chair_makes_a_resident_a_professional(as_persona, personas):
    response = as_persona("chair").post(
        roles_url(personas, personas.resident),
        {
            "roles": ["professional"],
            "organisation": personas.housing.pk,
            "job_title": "Buurtbeheerder",
        },
    )
    assert response.status_code == 302
    assert active_roles(personas, personas.resident) == {"professional"}
    professional = Membership.objects.get(user=personas.resident, role=Role.PROFESSIONAL)
    assert professional.organisation == personas.housing
    assert professional.job_title == "Buurtbeheerder"
    assert professional.decided_by == personas.chair
    # The resident role is kept on record as left, not deleted.
    resident = Membership.objects.get(user=personas.resident, role=Role.RESIDENT)
    assert resident.status == "left" and resident.left_at is not None


def test_a_person_can_hold_several_roles(as_persona, personas):
    as_persona("coordinator").post(
        roles_url(personas, personas.second_resident),
        {"roles": ["resident", "minute_taker", "office"]},
    )
    assert active_roles(personas, personas.second_resident) == {
        "resident",
        "minute_taker",
        "office",
    }


def test_at_least_one_role_is_needed(as_persona, personas):
    response = as_persona("chair").post(roles_url(personas, personas.resident), {"roles": []})
    assert response.status_code == 200
    assert "Choose at least one role" in response.content.decode()
    assert active_roles(personas, personas.resident) == {"resident"}


def test_chair_cannot_take_away_their_own_chair_role(as_persona, personas):
    response = as_persona("chair").post(
        roles_url(personas, personas.chair), {"roles": ["resident"]}
    )
    assert response.status_code == 200
    assert active_roles(personas, personas.chair) == {"chair"}


@pytest.mark.parametrize("who", ["outsider", "pending_resident"])
def test_roles_only_for_active_members_of_this_neighbourhood(as_persona, personas, who):
    user = getattr(personas, who)
    assert as_persona("chair").get(roles_url(personas, user)).status_code == 404
    assert (
        as_persona("chair").post(roles_url(personas, user), {"roles": ["chair"]}).status_code == 404
    )
    assert not Membership.objects.filter(user=user, role=Role.CHAIR).exists()


def test_roles_service_refuses_a_professional_without_organisation(personas):
    with pytest.raises(ValidationError) as refused:
        membership_roles_set(
            neighbourhood=personas.hood,
            user=personas.resident,
            roles=["professional"],
            by=personas.chair,
        )
    assert refused.value.error_dict["organisation"][0].code == "organisation_required"
    with pytest.raises(ValidationError) as refused:
        membership_roles_set(
            neighbourhood=personas.hood, user=personas.resident, roles=[], by=personas.chair
        )
    assert refused.value.error_dict["roles"][0].code == "required"
    assert active_roles(personas, personas.resident) == {"resident"}


def test_roles_service_refuses_an_unknown_role_as_a_programming_error(personas):
    with pytest.raises(ValueError, match="Unknown roles"):
        membership_roles_set(
            neighbourhood=personas.hood, user=personas.resident, roles=["king"], by=personas.chair
        )


def test_roles_service_brings_back_a_role_that_was_left(personas):
    membership_roles_set(
        neighbourhood=personas.hood, user=personas.resident, roles=["office"], by=personas.chair
    )
    membership_roles_set(
        neighbourhood=personas.hood, user=personas.resident, roles=["resident"], by=personas.chair
    )
    resident = Membership.objects.get(user=personas.resident, role=Role.RESIDENT)
    assert resident.status == "active" and resident.left_at is None
    assert Membership.objects.get(user=personas.resident, role=Role.OFFICE).status == "left"


# --- Inviting by e-mail ---------------------------------------------------------------------


def test_invitation_mail_has_the_code_and_a_prefilled_join_link(
    as_persona, personas, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://buurt.example.nl"
    with django_capture_on_commit_callbacks(execute=True):
        response = as_persona("chair").post(
            reverse("members:member_invite", args=[personas.hood.slug]),
            {"name": "Sanne", "email": "Sanne@Example.nl"},
        )
    assert response.status_code == 302
    invite = InviteCode.objects.get(email="sanne@example.nl")
    assert invite.neighbourhood == personas.hood and invite.is_usable
    assert invite.created_by == personas.chair
    [message] = mail.outbox
    assert message.to == ["sanne@example.nl"]
    link = (
        "https://buurt.example.nl"
        + reverse("join", args=[personas.hood.slug])
        + f"?code={invite.code}"
    )
    assert link in message.body and invite.code in message.body
    assert "Sanne" in message.body
    assert isinstance(message, EmailMultiAlternatives)
    html = str(message.alternatives[0][0])
    assert f'href="{link}"' in html and invite.code in html


@pytest.mark.parametrize("email", ["mohamed@example.nl", "TOMASZ@example.nl"])
def test_no_invitation_for_members_or_applicants(as_persona, personas, email):
    response = as_persona("chair").post(
        reverse("members:member_invite", args=[personas.hood.slug]), {"email": email}
    )
    assert response.status_code == 200
    assert "error-summary" in response.content.decode()
    assert not InviteCode.objects.filter(email=email.lower()).exists()


def test_invitation_needs_a_valid_address(as_persona, personas):
    response = as_persona("chair").post(
        reverse("members:member_invite", args=[personas.hood.slug]), {"email": "geen-adres"}
    )
    assert response.status_code == 200
    assert "Fill in a valid e-mail address" in response.content.decode()
    assert not InviteCode.objects.exists()


def test_join_page_prefills_the_code_from_the_link(client, personas, invite_code):
    url = reverse("join", args=[personas.hood.slug]) + f"?code={invite_code.code}"
    assert f'value="{invite_code.code}"' in client.get(url).content.decode()


# --- Paper residents -------------------------------------------------------------------------


def test_chair_adds_a_paper_resident(as_persona, personas):
    response = as_persona("chair").post(
        reverse("members:member_add_paper", args=[personas.hood.slug]),
        {"name": "  Truus   Bakker ", "postcode": "3527 gh", "house_number": "3b"},
    )
    assert response.status_code == 302 and response.url == members_url(personas)
    user = User.objects.get(display_name="Truus Bakker")
    assert user.email is None and user.is_paper_resident
    assert (user.postcode, user.house_number) == ("3527GH", "3b")
    membership = Membership.objects.get(user=user)
    assert (membership.neighbourhood, membership.role, membership.status) == (
        personas.hood,
        "resident",
        "active",
    )
    assert membership.decided_by == personas.chair


def test_add_another_returns_to_the_empty_form(as_persona, personas):
    url = reverse("members:member_add_paper", args=[personas.hood.slug])
    response = as_persona("chair").post(
        url, {"name": "Truus Bakker", "postcode": "3527GH", "house_number": "3", "add_another": "1"}
    )
    assert response.status_code == 302 and response.url == url


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Truus", "postcode": "1503 AB", "house_number": "3"}, "not in Kanaleneiland"),
        ({"name": "Truus", "postcode": "35", "house_number": "3"}, "valid postcode"),
        ({"name": "Truus", "postcode": "3527 AB", "house_number": "b"}, "starts with a digit"),
        ({"name": "", "postcode": "3527 AB", "house_number": "3"}, "Fill in the name"),
        ({"name": "joke kramer", "postcode": "3527EB", "house_number": "5"}, "already a member"),
    ],
)
def test_paper_resident_form_errors(as_persona, personas, data, message):
    users = User.objects.count()
    response = as_persona("chair").post(
        reverse("members:member_add_paper", args=[personas.hood.slug]), data
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.count() == users


def test_paper_resident_service_makes_an_active_member_without_email(personas):
    membership = paper_resident_add(
        neighbourhood=personas.hood,
        by=personas.chair,
        name="Henk",
        postcode="3527AB",
        house_number="9",
    )
    assert membership.status == "active" and membership.user.email is None


@pytest.mark.parametrize(
    "page", ["members", "member_invite", "member_add_paper", "member_import", "invite_codes"]
)
def test_pages_have_no_inline_scripts_or_styles(as_persona, personas, page):
    response = as_persona("chair").get(reverse(view_name(page), args=[personas.hood.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "style=" not in html and "<style" not in html
    assert "<script>" not in html and " onclick=" not in html and " onsubmit=" not in html
    assert "css/members.css" in html


def test_unconfirmed_sign_ups_are_not_shown_to_the_chair(login, personas):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.filter(user=personas.pending_resident).update(verified=False)
    client = login(personas.chair)
    html = client.get(reverse("members:members", args=[personas.hood.slug])).content.decode()
    assert personas.pending_resident.display_name not in html
    EmailAddress.objects.filter(user=personas.pending_resident).update(verified=True)
    html = client.get(reverse("members:members", args=[personas.hood.slug])).content.decode()
    assert personas.pending_resident.display_name in html


def test_paper_resident_keeps_a_note_on_how_to_reach_them(login, personas):
    client = login(personas.chair)
    client.post(
        reverse("members:member_add_paper", args=[personas.hood.slug]),
        {
            "name": "Riet Pronk",
            "postcode": "3527 AA",
            "house_number": "8",
            "contact_note": "06-12345678, belt liever overdag",
        },
    )
    riet = User.objects.get(display_name="Riet Pronk")
    assert riet.email is None and riet.contact_note.startswith("06-12345678")
    html = client.get(reverse("members:members", args=[personas.hood.slug])).content.decode()
    assert "06-12345678" in html
