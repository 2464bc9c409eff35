"""Retention: people who left every neighbourhood long enough ago are anonymised daily."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.conf import settings as django_settings

from buurtoverleg.celery import app as celery_app
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
    from meetings.due import run_due

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

    from meetings.due import DUE_WORK

    names = {work.name: work for work in DUE_WORK}
    assert names["residents.purge_departed_members"].every.days == 1
    for work in DUE_WORK:
        assert callable(import_string(work.function))
