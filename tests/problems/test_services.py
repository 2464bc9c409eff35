"""The register's services: support, merge, edits, chronic, reopen requests, privacy."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from buurtoverleg.mail.models import Mailing
from problems.models import Category, Follow, Problem, Support, TimelineEntry
from problems.services import (
    CHRONIC_TESTS,
    problem_confirm_chronic,
    problem_edit,
    problem_reopen_request,
    problem_support,
    problem_support_withdraw,
    problem_transition,
)
from problems.workflow import Move, Status
from residents.privacy import user_delete_account, user_export_data

ALL_TESTS = dict.fromkeys((key for key, _label in CHRONIC_TESTS), True)


def test_a_report_is_new_followed_by_its_reporter_and_on_the_timeline(make_problem, personas):
    problem = make_problem(Status.NEW)
    assert problem.status == Status.NEW and problem.support_count == 0
    assert Follow.objects.filter(problem=problem, user=personas.resident).exists()
    assert list(problem.timeline.values_list("move", "to_status")) == [("report", "new")]


def test_a_sensitive_category_makes_a_sensitive_problem(make_problem):
    problem = make_problem(category="drugsoverlast", street="Talmalaan", title="Dealen in nr. 8")
    assert problem.sensitive
    assert problem.public_title == "Drugsoverlast omgeving Talmalaan"
    assert problem.public_description == "" and problem.public_location == "Talmalaan"


def test_one_support_per_resident_enforced_by_the_database(make_problem, personas):
    problem = make_problem()
    assert problem_support(problem=problem, user=personas.second_resident)
    assert not problem_support(problem=problem, user=personas.second_resident)
    problem.refresh_from_db()
    assert problem.support_count == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Support.objects.create(problem=problem, user=personas.second_resident)


def test_support_can_be_withdrawn_and_the_count_follows(make_problem, personas):
    problem = make_problem()
    problem_support(problem=problem, user=personas.second_resident)
    assert problem_support_withdraw(problem=problem, user=personas.second_resident)
    assert not problem_support_withdraw(problem=problem, user=personas.second_resident)
    problem.refresh_from_db()
    assert problem.support_count == 0


@pytest.mark.parametrize("status", [Status.NEW, Status.DECLINED, Status.RESOLVED, Status.PARKED])
def test_only_accepted_open_problems_can_be_supported(make_problem, personas, status):
    problem = make_problem(status)
    with pytest.raises(ValidationError) as info:
        problem_support(problem=problem, user=personas.second_resident)
    assert info.value.code == "not_actionable"
    assert not Support.objects.exists()


def test_merging_moves_supporters_and_followers_without_counting_anyone_twice(
    make_problem, personas
):
    keep = make_problem(title="Afval bij de containers")
    double = make_problem(title="Vuilniszakken naast de containers", reporter=personas.minute_taker)
    problem_support(problem=keep, user=personas.second_resident)
    problem_support(problem=double, user=personas.second_resident)  # supports both
    problem_support(problem=double, user=personas.paper_resident)
    problem_transition(
        problem=double, move=Move.MERGE, actor=personas.chair, actors={"chair"}, into=keep
    )
    keep.refresh_from_db()
    double.refresh_from_db()
    assert double.status == Status.MERGED and double.merged_into == keep
    assert keep.support_count == 2 == keep.supports.count()
    assert double.support_count == 0 and not double.supports.exists()
    followers = set(keep.follows.values_list("user__display_name", flat=True))
    assert followers == {"Mohamed Bouzid", "Annie de Groot", "Lotte Mulder", "Joke Kramer"}
    assert keep.timeline.filter(move=Move.MERGED_IN, other=double).exists()


@pytest.mark.parametrize(
    ("target", "code"),
    [
        ("self", "merge_into_self"),
        ("new", "merge_target_closed"),
        ("other_hood", "merge_other_neighbourhood"),
        ("resolved", "merge_target_closed"),
    ],
)
def test_merge_needs_an_open_accepted_problem_of_the_same_neighbourhood(
    make_problem, personas, target, code
):
    problem = make_problem()
    into = {
        "self": lambda: problem,
        "new": lambda: make_problem(Status.NEW),
        "other_hood": lambda: make_problem(
            neighbourhood=personas.other_hood, reporter=personas.outsider
        ),
        "resolved": lambda: make_problem(Status.RESOLVED),
    }[target]()
    with pytest.raises(ValidationError) as info:
        problem_transition(
            problem=problem, move=Move.MERGE, actor=personas.chair, actors={"chair"}, into=into
        )
    assert info.value.code == code
    assert Problem.objects.get(pk=problem.pk).status == Status.ACCEPTED


def test_a_status_change_mails_the_followers_once_but_not_the_actor(make_problem, personas):
    problem = make_problem(Status.NEW)
    Follow.objects.create(problem=problem, user=personas.chair)
    entry = problem_transition(
        problem=problem, move=Move.ACCEPT, actor=personas.chair, actors={"chair"}
    )
    mailing = Mailing.objects.get(key=f"problem-status:{entry.pk}")
    assert list(mailing.deliveries.values_list("email", flat=True)) == ["mohamed@example.nl"]


def test_an_edit_keeps_the_old_values_on_the_timeline(make_problem, personas):
    problem = make_problem()
    drugs = Category.objects.get(slug="drugsoverlast")
    entry = problem_edit(
        problem=problem, actor=personas.office, role="office", title="Nieuw", category=drugs
    )
    assert entry is not None and entry.move == Move.EDIT
    assert entry.changes["title"] == "Zwerfvuil bij de glasbak"
    problem.refresh_from_db()
    assert problem.title == "Nieuw" and problem.sensitive
    assert (
        problem_edit(problem=problem, actor=personas.office, role="office", title="Nieuw") is None
    )


def test_chronic_needs_all_four_tests_once(make_problem, personas):
    problem = make_problem()
    with pytest.raises(ValidationError) as info:
        problem_confirm_chronic(
            problem=problem,
            actor=personas.chair,
            role="chair",
            tests={**ALL_TESTS, "influenceable": False},
        )
    assert info.value.code == "chronic_tests"
    problem_confirm_chronic(problem=problem, actor=personas.chair, role="chair", tests=ALL_TESTS)
    problem.refresh_from_db()
    assert problem.chronic_confirmed_at is not None
    with pytest.raises(ValidationError) as info:
        problem_confirm_chronic(
            problem=problem, actor=personas.chair, role="chair", tests=ALL_TESTS
        )
    assert info.value.code == "already_chronic"
    assert problem.timeline.filter(move=Move.CHRONIC).count() == 1


def test_likely_chronic_signals(make_problem, personas):
    problem = make_problem()
    assert problem.chronic_signals() == []
    personas.hood.chronic_supporters = 1
    personas.hood.save()
    problem_support(problem=problem, user=personas.second_resident)
    problem = Problem.objects.select_related("neighbourhood").get(pk=problem.pk)
    assert len(problem.chronic_signals()) == 1


def test_a_reopen_request_goes_to_the_chair_once(make_problem, personas):
    problem = make_problem(Status.RESOLVED)
    problem_reopen_request(problem=problem, user=personas.second_resident, note="Het is terug.")
    with pytest.raises(ValidationError) as info:
        problem_reopen_request(problem=problem, user=personas.second_resident, note="Nog steeds.")
    assert info.value.code == "already_asked"
    problem_transition(problem=problem, move=Move.REOPEN, actor=personas.chair, actors={"chair"})
    problem.refresh_from_db()
    assert problem.status == Status.ACCEPTED and problem.reopened_count == 1
    assert not problem.reopen_requests.filter(handled_at__isnull=True).exists()
    assert problem.chronic_signals() != []  # reopened


def test_export_and_delete_account(make_problem, personas):
    problem = make_problem(reporter_name_public=True)
    problem_support(problem=problem, user=personas.second_resident)
    export = user_export_data(user=personas.resident)
    assert export["problems"]["reported"][0]["title"] == "Zwerfvuil bij de glasbak"
    user_delete_account(user=personas.resident)
    problem.refresh_from_db()
    assert not problem.reporter_name_public
    assert not Follow.objects.filter(problem=problem, user=personas.resident).exists()
    assert TimelineEntry.objects.filter(problem=problem).exists()  # history stays
