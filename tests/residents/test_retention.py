"""Retention: people who left every neighbourhood long enough ago are anonymised daily."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.conf import settings as django_settings

from buurtoverleg.celery import app as celery_app
from residents.mail_kinds import ResidentMail
from residents.models import Coordinator, Membership, Role, User
from residents.privacy import anonymous_name, purge_departed_members

LEFT_AT = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
DAYS = 365


@pytest.fixture(autouse=True)
def _retention(settings):
    settings.RETENTION_DAYS_AFTER_LEAVING = DAYS


def leave_everything(user: User, when: datetime = LEFT_AT) -> None:
    Membership.objects.filter(user=user).update(status=Membership.Status.LEFT, left_at=when)


def is_anonymised(user: User) -> bool:
    return User.objects.get(pk=user.pk).anonymised_at is not None


def purge_at(moment: datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return purge_departed_members()


# --- The boundary ---


def test_nobody_is_anonymised_on_the_last_day_of_the_retention_period(personas):
    leave_everything(personas.resident)
    assert purge_at(LEFT_AT + timedelta(days=DAYS)) == 0
    assert not is_anonymised(personas.resident)


def test_someone_who_left_longer_ago_than_the_period_is_anonymised(personas):
    leave_everything(personas.resident)
    moment = LEFT_AT + timedelta(days=DAYS, seconds=1)
    assert purge_at(moment) == 1
    user = User.objects.get(pk=personas.resident.pk)
    assert user.anonymised_at == moment
    assert user.display_name == anonymous_name()
    assert user.email is None and user.postcode == "" and user.house_number == ""
    assert not user.is_active
    assert not EmailAddress.objects.filter(user=user).exists()
    membership = Membership.objects.get(user=user)
    assert membership.status == "left" and membership.left_at == LEFT_AT  # date kept


def test_the_period_comes_from_the_settings(personas, settings):
    settings.RETENTION_DAYS_AFTER_LEAVING = 30
    leave_everything(personas.resident)
    assert purge_at(LEFT_AT + timedelta(days=30)) == 0
    assert purge_at(LEFT_AT + timedelta(days=30, minutes=1)) == 1


def test_the_latest_departure_counts(personas):
    Membership.objects.create(
        user=personas.resident,
        neighbourhood=personas.other_hood,
        role=Role.RESIDENT,
        status=Membership.Status.LEFT,
        left_at=LEFT_AT + timedelta(days=100),
    )
    Membership.objects.filter(user=personas.resident, neighbourhood=personas.hood).update(
        status=Membership.Status.LEFT, left_at=LEFT_AT
    )
    assert purge_at(LEFT_AT + timedelta(days=DAYS + 50)) == 0
    assert purge_at(LEFT_AT + timedelta(days=DAYS + 101)) == 1


# --- Who is never touched ---


def test_anyone_still_active_somewhere_is_kept(personas):
    Membership.objects.create(
        user=personas.resident,
        neighbourhood=personas.other_hood,
        role=Role.RESIDENT,
        status=Membership.Status.LEFT,
        left_at=LEFT_AT,
    )
    assert purge_at(LEFT_AT + timedelta(days=DAYS * 3)) == 0
    assert not is_anonymised(personas.resident)


def test_a_pending_application_keeps_the_person(personas):
    Membership.objects.create(
        user=personas.pending_resident,
        neighbourhood=personas.other_hood,
        role=Role.RESIDENT,
        status=Membership.Status.LEFT,
        left_at=LEFT_AT,
    )
    assert purge_at(LEFT_AT + timedelta(days=DAYS * 3)) == 0
    assert not is_anonymised(personas.pending_resident)


def test_team_members_with_an_active_role_are_kept(personas):
    # The minute-taker left as a resident long ago but still takes the minutes.
    Membership.objects.filter(user=personas.minute_taker, role=Role.RESIDENT).update(
        status=Membership.Status.LEFT, left_at=LEFT_AT
    )
    assert purge_at(LEFT_AT + timedelta(days=DAYS * 3)) == 0
    assert not is_anonymised(personas.minute_taker)


def test_coordinators_and_staff_are_kept(personas):
    Membership.objects.create(
        user=personas.coordinator,
        neighbourhood=personas.hood,
        role=Role.RESIDENT,
        status=Membership.Status.LEFT,
        left_at=LEFT_AT,
    )
    leave_everything(personas.resident)
    User.objects.filter(pk=personas.resident.pk).update(is_staff=True)
    assert purge_at(LEFT_AT + timedelta(days=DAYS * 3)) == 0
    assert Coordinator.objects.filter(user=personas.coordinator).exists()
    assert not is_anonymised(personas.coordinator)
    assert not is_anonymised(personas.resident)


def test_a_departure_without_a_date_is_never_guessed(personas):
    leave_everything(personas.resident)
    Membership.objects.filter(user=personas.resident).update(left_at=None)
    assert purge_at(LEFT_AT + timedelta(days=DAYS * 3)) == 0


def test_people_without_any_membership_are_left_alone(personas):
    # For example someone whose sign-up never reached a neighbourhood: not this task's job.
    Membership.objects.filter(user=personas.resident).delete()
    assert purge_at(LEFT_AT + timedelta(days=DAYS * 3)) == 0


def test_only_the_departed_are_touched(personas):
    leave_everything(personas.resident)
    others = list(User.objects.exclude(pk=personas.resident.pk).values().order_by("pk"))
    assert purge_at(LEFT_AT + timedelta(days=DAYS + 1)) == 1
    assert list(User.objects.exclude(pk=personas.resident.pk).values().order_by("pk")) == others


# --- Rejected applications ---


def test_a_rejected_application_is_kept_no_longer_than_a_departure(personas):
    Membership.objects.filter(user=personas.pending_resident).update(
        status=Membership.Status.REJECTED, decided_at=LEFT_AT
    )
    assert purge_at(LEFT_AT + timedelta(days=DAYS)) == 0
    assert purge_at(LEFT_AT + timedelta(days=DAYS, seconds=1)) == 1
    assert is_anonymised(personas.pending_resident)


# --- Idempotence and the task ---


def test_running_twice_changes_nothing_the_second_time(personas):
    leave_everything(personas.resident)
    first = LEFT_AT + timedelta(days=DAYS + 1)
    assert purge_at(first) == 1
    snapshot = User.objects.filter(pk=personas.resident.pk).values().get()
    assert purge_at(first + timedelta(days=1)) == 0
    assert User.objects.filter(pk=personas.resident.pk).values().get() == snapshot


def test_the_daily_due_work_runs_the_purge(personas):
    from buurtoverleg.due import run_due

    leave_everything(personas.resident)
    leave_everything(personas.second_resident)
    with time_machine.travel(LEFT_AT + timedelta(days=DAYS + 1), tick=False):
        assert "residents.purge_departed_members" in run_due()
    assert is_anonymised(personas.resident) and is_anonymised(personas.second_resident)


def test_the_beat_schedule_names_registered_tasks():
    tasks = [str(entry["task"]) for entry in django_settings.CELERY_BEAT_SCHEDULE.values()]
    assert tasks
    celery_app.autodiscover_tasks(force=True)  # what a worker or beat does at start-up
    for task in tasks:
        assert task in celery_app.tasks


def test_the_purge_is_daily_due_work():
    from django.utils.module_loading import import_string

    from buurtoverleg.due import DUE_WORK

    names = {work.name: work for work in DUE_WORK}
    assert names["residents.purge_departed_members"].every.days == 1
    for work in DUE_WORK:
        assert callable(import_string(work.function))


# --- Sign-ups never confirmed ---

SIGNED_UP_AT = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)


def sign_up(client, personas, email: str = "nooit@example.nl", **fields) -> User:
    """Join through the real sign-up form and never type the mailed code."""
    from django.urls import reverse

    data = {
        "display_name": "Nooit Bevestigd",
        "email": email,
        "postcode": "3527 ab",
        "house_number": "3",
        "invite_code": "",
        **fields,
    }
    with time_machine.travel(SIGNED_UP_AT, tick=False):
        response = client.post(reverse("join", args=[personas.hood.slug]), data)
    assert response.status_code == 302
    client.logout()
    return User.objects.get(email=email)


def purge_signups_at(moment: datetime) -> int:
    from residents.privacy import purge_unconfirmed_signups

    with time_machine.travel(moment, tick=False):
        return purge_unconfirmed_signups()


def exists(user: User) -> bool:
    return User.objects.filter(pk=user.pk).exists()


def test_a_sign_up_is_kept_for_13_days_and_deleted_after_15(client, personas):
    user = sign_up(client, personas)
    membership = Membership.objects.get(user=user)
    assert membership.status == Membership.Status.PENDING
    assert not EmailAddress.objects.get(user=user).verified
    assert purge_signups_at(SIGNED_UP_AT + timedelta(days=13)) == 0
    assert exists(user)
    assert purge_signups_at(SIGNED_UP_AT + timedelta(days=15)) == 1
    # Deleted, not anonymised: they never took part, so nothing of theirs needs to stay.
    assert not exists(user)
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert not EmailAddress.objects.filter(email="nooit@example.nl").exists()


def test_the_signup_period_comes_from_the_settings(client, personas, settings):
    assert django_settings.UNCONFIRMED_SIGNUP_DAYS == 14  # the default, before this test's own
    settings.UNCONFIRMED_SIGNUP_DAYS = 3
    user = sign_up(client, personas)
    assert purge_signups_at(SIGNED_UP_AT + timedelta(days=3)) == 0
    assert purge_signups_at(SIGNED_UP_AT + timedelta(days=3, seconds=1)) == 1
    assert not exists(user)


def test_the_count_is_logged_with_those_kept(client, personas, caplog):
    sign_up(client, personas)
    kept = sign_up(client, personas, email="ontvangen@example.nl")
    add_delivery(kept)
    with caplog.at_level("INFO", logger="residents.privacy"):
        assert purge_signups_at(SIGNED_UP_AT + timedelta(days=15)) == 1
    assert "deleted 1 sign-ups never confirmed; kept 1 that have other data" in caplog.text


def test_running_the_signup_purge_twice_deletes_nothing_more(client, personas):
    sign_up(client, personas)
    moment = SIGNED_UP_AT + timedelta(days=15)
    assert purge_signups_at(moment) == 1
    assert purge_signups_at(moment + timedelta(days=1)) == 0


def test_only_the_unconfirmed_sign_up_is_touched(client, personas):
    # Every persona joined long before (and the paper resident never had an address).
    User.objects.update(date_joined=SIGNED_UP_AT - timedelta(days=400))
    others = list(User.objects.values().order_by("pk"))
    memberships = list(Membership.objects.values().order_by("pk"))
    sign_up(client, personas)
    assert purge_signups_at(SIGNED_UP_AT + timedelta(days=30)) == 1
    assert list(User.objects.values().order_by("pk")) == others
    assert list(Membership.objects.values().order_by("pk")) == memberships


# Who is never deleted as an unconfirmed sign-up


def add_delivery(user: User) -> None:
    from buurtoverleg.mail.models import Delivery, Mailing

    mailing = Mailing.objects.create(kind=ResidentMail.INVITATION, template="emails/invitation")
    Delivery.objects.create(mailing=mailing, user=user, email=user.email or "")


def test_someone_who_confirmed_their_address_is_kept(client, personas):
    user = sign_up(client, personas)
    EmailAddress.objects.filter(user=user).update(verified=True)
    assert purge_signups_at(SIGNED_UP_AT + timedelta(days=60)) == 0
    assert exists(user)


def test_someone_who_logged_in_is_kept(client, personas):
    user = sign_up(client, personas)
    User.objects.filter(pk=user.pk).update(last_login=SIGNED_UP_AT + timedelta(days=1))
    assert purge_signups_at(SIGNED_UP_AT + timedelta(days=60)) == 0
    assert exists(user)


def test_someone_who_joined_with_an_invite_code_is_kept(client, personas, invite_code):
    user = sign_up(client, personas, invite_code=invite_code.code)
    assert Membership.objects.get(user=user).status == Membership.Status.ACTIVE
    assert purge_signups_at(SIGNED_UP_AT + timedelta(days=60)) == 0
    assert exists(user)


def test_an_application_the_chair_approved_keeps_the_person(client, personas):
    from residents.services import membership_decide

    user = sign_up(client, personas)
    membership_decide(membership=Membership.objects.get(user=user), by=personas.chair, approve=True)
    assert purge_signups_at(SIGNED_UP_AT + timedelta(days=60)) == 0
    assert exists(user)


def test_a_sign_up_turned_down_or_left_is_for_the_departure_rule(client, personas):
    user = sign_up(client, personas)
    Membership.objects.filter(user=user).update(
        status=Membership.Status.REJECTED, decided_at=SIGNED_UP_AT
    )
    assert purge_signups_at(SIGNED_UP_AT + timedelta(days=60)) == 0
    assert exists(user)


def test_paper_residents_and_imported_members_are_kept(personas):
    from residents.services import memberships_import, paper_resident_add

    with time_machine.travel(SIGNED_UP_AT, tick=False):
        paper = paper_resident_add(
            neighbourhood=personas.hood,
            by=personas.office,
            name="Gerrit Smit",
            postcode="3527AB",
            house_number="7",
        ).user
        memberships_import(
            neighbourhood=personas.hood,
            by=personas.chair,
            rows=[
                {
                    "line": 2,
                    "name": "Ingrid Vos",
                    "email": "ingrid@example.nl",
                    "postcode": "3527AB",
                    "house_number": "9",
                }
            ],
        )
    imported = User.objects.get(email="ingrid@example.nl")
    assert imported.last_login is None and paper.email is None
    assert purge_signups_at(SIGNED_UP_AT + timedelta(days=60)) == 0
    assert exists(paper) and exists(imported)


def test_anyone_with_something_else_to_their_name_is_kept(client, personas):
    # A mail to them here; the same holds for a report, a vote, a decision or an admin entry.
    user = sign_up(client, personas)
    add_delivery(user)
    assert purge_signups_at(SIGNED_UP_AT + timedelta(days=60)) == 0
    assert exists(user)


def test_coordinators_and_staff_who_never_confirmed_are_kept(client, personas):
    coordinator = sign_up(client, personas)
    Coordinator.objects.create(user=coordinator, municipality=personas.municipality)
    staff = sign_up(client, personas, email="beheer@example.nl")
    User.objects.filter(pk=staff.pk).update(is_staff=True)
    assert purge_signups_at(SIGNED_UP_AT + timedelta(days=60)) == 0
    assert exists(coordinator) and exists(staff)


def test_the_daily_due_work_deletes_unconfirmed_sign_ups(client, personas):
    from buurtoverleg.due import DUE_WORK, run_due

    work = {w.name: w for w in DUE_WORK}["residents.purge_unconfirmed_signups"]
    assert work.every.days == 1
    user = sign_up(client, personas)
    with time_machine.travel(SIGNED_UP_AT + timedelta(days=15), tick=False):
        assert "residents.purge_unconfirmed_signups" in run_due()
    assert not exists(user)
