"""What the world outside the code relies on, written down literally, so that moving code
between apps (issue 16: the mail ledger and the due work move to buurtoverleg/) cannot change
it unnoticed:

- the URL paths (bookmarks, links in mails, the open data API);
- the action links already in people's inboxes (signed with a salt per purpose, naming a
  model label);
- the Celery task names (messages waiting in Redis name their task; the beat names one);
- the values stored in the database (mail kinds, due work names);
- the content types of moved models (generic relations and permissions point at their ids).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core import signing
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from buurtoverleg import celery_app
from residents.links import PURPOSES, read_action_link_token

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


# --- The registries the stored values come from ---


def current_mail_kinds() -> set[str]:
    """The mail kind values the code knows: stored in Mailing.kind."""
    from buurtoverleg.mail.kinds import KINDS

    return set(KINDS)


def current_due_work_names() -> set[str]:
    """The names of the kinds of due work: stored in DueWorkRun.name."""
    from buurtoverleg.due import DUE_WORK

    return {work.name for work in DUE_WORK}


# --- URL paths ---


def _walk(patterns: Iterable[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        path = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, path)
        else:
            yield path


# The admin's pages follow a model's app label; those of the models that moved out of the
# meetings app (see MOVED_MODELS below) and out of problems (ROUNDS_AND_ACTIONS) now redirect to
# their new place.
ADMIN_APP_LIST = re.compile(r"^beheer/\^\(\?P<app_label>(?P<labels>[a-z_|]+)\)/\$$")
OLD_ADMIN_PAGE = re.compile(r"^beheer/(?P<app>meetings|problems)/(?P<model>[a-z]+)/(?P<rest>.*)$")
ROUNDS_AND_ACTIONS = dict.fromkeys(
    (
        "priorityround",
        "roundcandidate",
        "ballot",
        "ballotpoint",
        "handcount",
        "analysis",
        "action",
        "actionupdate",
        "volunteer",
        "judgement",
        "surveyanswer",
    ),
    "meetings",
)


def _moved_admin_page_redirects(path: str) -> bool:
    match = OLD_ADMIN_PAGE.match(path)
    moved = {"meetings": MOVED_MODELS, "problems": ROUNDS_AND_ACTIONS}
    if match is None or match["model"] not in moved[match["app"]]:
        return False
    url = "/" + path.replace("<path:object_id>", "7")
    response = Client().get(url + "?q=x")
    label = moved[match["app"]][match["model"]]
    new = url.replace(f"/beheer/{match['app']}/", f"/beheer/{label}/") + "?q=x"
    return response.status_code == 301 and response["Location"] == new


def test_every_url_path_is_unchanged():
    """Regenerate tests/fixtures/url_paths.txt only for a deliberate change of a URL."""
    expected = (FIXTURES / "url_paths.txt").read_text().splitlines()
    actual = sorted(set(_walk(get_resolver().url_patterns)))
    gone = [path for path in expected if path not in actual]
    # The admin's list of apps names the new app labels too, and still every old one.
    for path in list(gone):
        old = ADMIN_APP_LIST.match(path)
        new = [m for p in actual if (m := ADMIN_APP_LIST.match(p))]
        if (
            old
            and len(new) == 1
            and set(old["labels"].split("|")) <= set(new[0]["labels"].split("|"))
        ):
            gone.remove(path)
    gone = [path for path in gone if not _moved_admin_page_redirects(path)]
    assert not gone, "URL paths gone:\n" + "\n".join(gone)
    # New paths only in the admin (the moved models' pages and the redirect from the old ones).
    added = [path for path in actual if path not in expected]
    assert all(path.startswith(("beheer/", "^beheer/")) for path in added), added


# --- Action links already in inboxes ---

# Literal on purpose: the salt and the payload of links that were mailed before the refactor.
SALT_PREFIX = "buurtoverleg.action-link"
TOPICS = ["agenda", "meeting_reminder", "minutes", "digest", "problem_status", "survey"]
# purpose -> model label in the payload
PURPOSES_TODAY: dict[str, str] = {
    "unsubscribe": "residents.user",
    **{f"unsubscribe-{topic}": "residents.neighbourhood" for topic in TOPICS},
    "unfollow": "problems.problem",
    "ballot": "problems.priorityround",
    "survey": "problems.timelineentry",
}


def _load_everything() -> None:
    """Import what registers purposes and tasks as a running site and worker would."""
    get_resolver().url_patterns  # noqa: B018 - importing the views registers their purposes
    celery_app.loader.import_default_modules()
    celery_app.autodiscover_tasks(force=True)


def _registered_purposes() -> dict[str, str]:
    _load_everything()
    # Other tests register purposes named "test-…" for the length of one test.
    return {
        name: purpose.model_label
        for name, purpose in PURPOSES.items()
        if not name.startswith("test-")
    }


def test_the_link_purposes_are_unchanged():
    assert _registered_purposes() == PURPOSES_TODAY


def _mailed_token(*, purpose: str, label: str, user: Any, pk: int | str, days: int = 30) -> str:
    """A token exactly as make_action_link_token signed it before the refactor."""
    payload = {
        "u": user.pk,
        "k": user.link_key,
        "m": label,
        "o": pk,
        "e": int((timezone.now() + timedelta(days=days)).timestamp()),
    }
    return signing.Signer(salt=f"{SALT_PREFIX}.{purpose}").sign_object(payload)


def _objects_by_label(personas: Any) -> dict[str, Any]:
    from meetings.planning.models import Meeting
    from meetings.rounds.models import PriorityRound
    from problems.models import Category, TimelineEntry
    from problems.services import problem_report
    from problems.workflow import Move

    hood = personas.hood
    problem = problem_report(
        neighbourhood=hood,
        reporter=personas.resident,
        category=Category.objects.get(slug="zwerfvuil"),
        title="Zwerfvuil bij de glasbak",
        description="Elke maandag ligt er afval naast de glasbak.",
        street="Marshalllaan",
    )
    starts_at = timezone.now() + timedelta(days=7)
    meeting = Meeting.objects.create(
        neighbourhood=hood, starts_at=starts_at, ends_at=starts_at + timedelta(hours=2)
    )
    round = PriorityRound.objects.create(
        meeting=meeting, neighbourhood=hood, points=3, max_per_problem=2
    )
    entry = TimelineEntry.objects.create(problem=problem, move=Move.ACCEPT)
    return {
        "residents.user": personas.resident,
        "residents.neighbourhood": hood,
        "problems.problem": problem,
        "problems.priorityround": round,
        "problems.timelineentry": entry,
    }


def test_links_already_in_inboxes_still_work(personas):
    _load_everything()
    objects = _objects_by_label(personas)
    user = personas.resident
    for purpose, label in PURPOSES_TODAY.items():
        obj = objects[label]
        token = _mailed_token(purpose=purpose, label=label, user=user, pk=obj.pk)
        link = read_action_link_token(token=token, purpose=purpose, obj=obj)
        assert (link.user, link.obj) == (user, obj), purpose
        assert link.purpose.name == purpose


def test_a_mailed_link_is_refused_for_another_person_or_object(personas):
    """The check above can fail: the reader does look at the person and the object."""
    from residents.links import LinkInvalid

    objects = _objects_by_label(personas)
    hood, other_hood = objects["residents.neighbourhood"], personas.other_hood
    token = _mailed_token(
        purpose="unsubscribe-agenda",
        label="residents.neighbourhood",
        user=personas.resident,
        pk=hood.pk,
    )
    with pytest.raises(LinkInvalid):
        read_action_link_token(token=token, purpose="unsubscribe-agenda", obj=other_hood)
    personas.resident.link_key = "rotated"
    personas.resident.save(update_fields=["link_key"])
    with pytest.raises(LinkInvalid):
        read_action_link_token(token=token, purpose="unsubscribe-agenda", obj=hood)


# --- Celery task names ---

TASK_NAMES_TODAY = {
    "meetings.tasks.send_mailing",
    "meetings.tasks.run_due_work",
    "meetings.minutes_tasks.render_minutes",
}


def test_the_celery_task_names_are_unchanged():
    _load_everything()
    registered = set(celery_app.tasks)
    assert registered >= TASK_NAMES_TODAY, sorted(TASK_NAMES_TODAY - registered)
    beat_tasks = {str(entry["task"]) for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert beat_tasks
    assert beat_tasks <= registered, sorted(beat_tasks - registered)


# --- Values stored in the database ---

MAIL_KINDS_TODAY = {
    "membership_approved",
    "invitation",
    "problem_status",
    "meeting_moved",
    "meeting_cancelled",
    "action_reminder",
    "action_overdue",
    "problem_survey",
    "survey_worse",
    "agenda",
    "meeting_reminder",
    "minutes",
    "digest",
}

# Retired on purpose: "residents.prune_action_link_uses" (single-use links were removed in
# issue 17). Its DueWorkRun row may stay behind in a database; the name is not to be reused.
DUE_WORK_TODAY = {
    "mail.sweep",
    "residents.purge_departed_members",
    "residents.purge_unconfirmed_signups",
    "meetings.plan_from_rhythm",
    "minutes.sweep",
    "rounds.close_due",
    "actions.remind",
    "problems.survey",
    "meetings.agenda_mail",
    "meetings.meeting_reminder",
    "meetings.digest",
}


def test_the_stored_mail_kinds_are_unchanged():
    _load_everything()
    assert current_mail_kinds() == MAIL_KINDS_TODAY


def test_the_stored_due_work_names_are_unchanged():
    _load_everything()
    assert current_due_work_names() == DUE_WORK_TODAY


# --- Content types of the moved models: relabelled, not made anew ---

BEFORE_THE_MOVE = ("meetings", "0013_mailing_kind_decides_transactional")
MOVED_APPS = ("mail", "buurtoverleg")
# model -> the app label it gets
MOVED_MODELS = {
    "mailing": "mail",
    "delivery": "mail",
    "mailsuppression": "mail",
    "mailsuppressionlift": "mail",
    "dueworkrun": "buurtoverleg",
}


@pytest.mark.django_db(transaction=True)
def test_moving_the_mail_ledger_relabels_its_content_types():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    before: list[tuple[str, str | None]] = [
        BEFORE_THE_MOVE,
        *((app, None) for app in MOVED_APPS),
        *(leaf for leaf in leaves if leaf[0] not in {"meetings", *MOVED_APPS}),
    ]
    try:
        executor.migrate(before)
        executor.loader.build_graph()
        old_apps = executor.loader.project_state(
            [(app, name) for app, name in before if name is not None]
        ).apps
        old_content_type = old_apps.get_model("contenttypes", "ContentType")
        # Before the move no content type had the new labels: those apps did not exist.
        for model, label in MOVED_MODELS.items():
            old_content_type.objects.filter(app_label=label, model=model).delete()
        ids = {
            model: old_content_type.objects.get_or_create(app_label="meetings", model=model)[0].pk
            for model in MOVED_MODELS
        }
        mailing = old_apps.get_model("meetings", "Mailing").objects.create(
            kind="invitation", template="contract/test.txt", key="platform-contract"
        )

        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

        content_type = django_apps.get_model("contenttypes", "ContentType")
        content_type.objects.clear_cache()

        def assert_relabelled() -> None:
            for model, label in MOVED_MODELS.items():
                rows = list(
                    content_type.objects.filter(model=model, app_label__in=["meetings", label])
                    .order_by("pk")
                    .values_list("pk", "app_label")
                )
                assert rows == [(ids[model], label)], model

        assert_relabelled()
        # What `migrate` does next (post_migrate) must find these rows, not add new ones.
        from django.contrib.contenttypes.management import create_contenttypes

        for app_config in django_apps.get_app_configs():
            create_contenttypes(app_config, verbosity=0)
        assert_relabelled()

        moved_mailing = django_apps.get_model("mail", "Mailing")
        assert moved_mailing.objects.filter(pk=mailing.pk).values_list(
            "kind", "template", "key"
        ).get() == ("invitation", "contract/test.txt", "platform-contract")
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        django_apps.get_model("contenttypes", "ContentType").objects.clear_cache()
