"""Writes for the minutes: draft, edit, finalise, render, publish, correct, and a withdrawn
consent. Views, the Celery task and residents' privacy hooks call these; nothing else writes
Minutes or MinutesVersion rows.

The draft is drafted from the meeting record (minutes_draft) using public fields only: per
agenda item the notes and the decision, the problems under it by their public title, the
priority round's results split into online, paper and hands, the actions agreed (outcome, owner
organisation, date: never a person), the actions reported back with the room's judgement and the
priorities resolved with the meeting's decision. Never a reporter, a confidential detail or a
sensitive problem's real title. Who was there is not part of the body: meetings.minutes.pdf
renders it from the attendance records each time, with consent as it is then.

Editing is conditional on the version the editor started from (MinutesConflict otherwise).
Finalising freezes the body as version 1, 2, ... and queues the PDF (meetings.minutes.tasks);
after publication a correction makes the next version and keeps the earlier ones. Publishing
mails residents who want the agenda mail and the team once per version: a link, or the PDF
attached for those who prefer it (attached at sending time: `minutes_attachments`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from buurtoverleg.mail.models import Delivery, Mailing
from buurtoverleg.mail.pipeline import (
    Attachment,
    TransientMailError,
    attachments_for,
    mailing_create,
    recipients_for,
)
from buurtoverleg.public_pages import changes_public_pages, public_pages_changed
from meetings import workflow
from meetings.actions import report_back
from meetings.actions.models import Action, Judgement
from meetings.mail_kinds import MeetingMail
from meetings.minutes.models import Minutes, MinutesVersion
from meetings.minutes.pdf import clean_body, minutes_html, minutes_record, pdf_bytes, pdf_filename
from meetings.planning.models import AgendaItem, AgendaItemProblem, Meeting
from meetings.rounds.models import PriorityRound
from meetings.rounds.services import round_results
from problems.models import PUBLIC_Q, Problem, TimelineEntry
from problems.workflow import Move
from residents.mail_preferences import wants
from residents.models import MailTopic, Membership, Neighbourhood, Role, User

log = logging.getLogger(__name__)

RS = MinutesVersion.RenderStatus
Kind = AgendaItem.Kind
BODY_MAX_LENGTH = 200_000
CHANGE_NOTE_MAX_LENGTH = 500
# A render claimed longer ago than this was lost with its worker (the task's time limit is 300 s).
RENDER_STALE = timedelta(seconds=360)
# "Try again" is offered for a version waiting this long (its queue message may be lost).
RENDER_WAIT_TOO_LONG = timedelta(minutes=2)
# Everyone who receives the minutes mail whatever their mail preference.
TEAM_ROLES = (Role.CHAIR, Role.MINUTE_TAKER, Role.PROFESSIONAL, Role.OFFICE)


@dataclass(frozen=True)
class MinutesConflict(Exception):  # an outcome the editor shows, not a crash
    """Someone else saved the minutes since the version the editor started from."""

    theirs: str
    version: int


# --- Drafting -----------------------------------------------------------------------------------


def minutes_may_draft(meeting: Meeting) -> bool:
    """Once the meeting is over (closed on the agenda screen, or simply past)."""
    return workflow.minutes_draftable(meeting, timezone.now())


def _public_problems() -> Any:
    return Problem.objects.filter(PUBLIC_Q).select_related("category")


def _action_row(action: Action) -> dict[str, Any]:
    judgement = next(iter(getattr(action, "judged_here", [])), None)
    return {
        "problem": action.problem.public_title,
        "outcome": action.outcome,
        "owner": action.owner_organisation.name if action.owner_organisation else _("Residents"),
        "due_date": action.due_date,
        "status": action.get_status_display(),
        "effect": judgement.get_effect_display() if judgement else "",
        "verdict": judgement.get_verdict_display() if judgement else "",
        "note": judgement.note if judgement else "",
    }


def draft_record(meeting: Meeting) -> dict[str, Any]:
    """What the draft is made of, as plain values (public fields only). A fixed number of
    queries, whatever the size of the meeting."""
    items = list(meeting.items.order_by("position", "pk"))
    linked: dict[int, list[str]] = {}
    for link in (
        AgendaItemProblem.objects.filter(item__meeting=meeting, problem__in=_public_problems())
        .select_related("problem__category")
        .order_by("item_id", "position", "pk")
    ):
        linked.setdefault(link.item_id, []).append(link.problem.public_title)

    results = None
    priority_round = PriorityRound.objects.filter(meeting=meeting).first()
    if priority_round is not None:
        found = round_results(priority_round)
        if found.rows and (priority_round.status == PriorityRound.Status.CLOSED or found.voters):
            results = {
                "round": priority_round,
                "closed": priority_round.status == PriorityRound.Status.CLOSED,
                "voters": found.voters,
                "voters_online": found.voters_online,
                "voters_paper": found.voters_paper,
                "hands": any(row.hands is not None for row in found.rows),
                "rows": [
                    {
                        "title": row.candidate.problem.public_title,
                        "online": row.online,
                        "paper": row.paper,
                        "hands": row.hands,
                        "total": row.total,
                        "outcome": row.candidate.get_outcome_display()
                        if row.candidate.outcome
                        else "",
                    }
                    for row in found.rows
                    if row.candidate.problem.is_public
                ],
                "tie_note": priority_round.tie_note,
            }

    actions = (
        Action.objects.filter(meeting=meeting, problem__in=_public_problems())
        .select_related("problem__category", "owner_organisation")
        .order_by("problem_id", "due_date", "pk")
    )
    since = report_back.report_back_since(meeting)
    reported = (
        Action.objects.filter(report_back.report_back_q(meeting, since))
        .filter(problem__in=_public_problems())
        .select_related("problem__category", "owner_organisation")
        .prefetch_related(
            Prefetch(
                "judgements",
                queryset=Judgement.objects.filter(meeting=meeting),
                to_attr="judged_here",
            )
        )
        .order_by("problem_id", "due_date", "pk")
    )
    resolved = (
        TimelineEntry.objects.filter(meeting=meeting, move=Move.RESOLVE)
        .filter(problem__in=_public_problems())
        .select_related("problem__category")
        .order_by("at", "pk")
    )
    return {
        "items": [
            {
                "number": n,
                "kind": item.kind,
                "heading": item.heading,
                "notes": item.notes.strip(),
                "decision": item.decision.strip(),
                "problems": linked.get(item.pk, []),
            }
            for n, item in enumerate(items, start=1)
        ],
        "results": results,
        "agreed": [_action_row(a) for a in actions],
        "reported": [_action_row(a) for a in reported],
        "resolved": [
            {"title": e.problem.public_title, "decision": e.public_note} for e in resolved
        ],
    }


# Where each block of the record goes: under the first agenda item of its kind, else at the end.
BLOCK_KINDS = {
    "reported": Kind.REPORT_BACK,
    "resolved": Kind.REPORT_BACK,
    "results": Kind.PRIORITISE,
    "agreed": Kind.APPROACH,
}


def draft_body(meeting: Meeting, language: str) -> str:
    """The draft's HTML, in the minutes' language, already sanitised."""
    record = draft_record(meeting)
    first_of_kind: dict[str, dict[str, Any]] = {}
    for item in record["items"]:
        item["blocks"] = []
        first_of_kind.setdefault(item["kind"], item)
    leftover = []
    for block, kind in BLOCK_KINDS.items():
        if kind in first_of_kind:
            first_of_kind[kind]["blocks"].append(block)
        else:
            leftover.append(block)
    with translation.override(language):
        html = render_to_string("meetings/minutes_body.html", {**record, "leftover": leftover})
    # One block per line: the text is edited by hand.
    return clean_body("\n".join(line.strip() for line in html.splitlines() if line.strip()))


@transaction.atomic
def minutes_draft(
    meeting: Meeting, *, by: User | None = None, base_version: int | None = None
) -> Minutes:
    """Create the draft from the meeting record, or draft it again (replacing the text: with
    `base_version`, only if nobody saved since)."""
    if not minutes_may_draft(meeting):
        raise ValidationError(
            _("The minutes can be drafted once the meeting is over."), code="meeting_not_over"
        )
    existing = Minutes.objects.select_for_update().filter(meeting=meeting).first()
    language = existing.language if existing else settings.LANGUAGE_CODE
    body = draft_body(meeting, language)
    if existing is None:
        minutes, created = Minutes.objects.get_or_create(
            meeting=meeting,
            defaults={
                "neighbourhood_id": meeting.neighbourhood_id,
                "language": language,
                "body": body,
                "drafted_by": by,
            },
        )
        if created:
            return minutes
        existing = Minutes.objects.select_for_update().get(pk=minutes.pk)
    if base_version is not None and base_version != existing.body_version:
        raise MinutesConflict(theirs=existing.body, version=existing.body_version)
    existing.body = body
    existing.body_version = F("body_version") + 1
    existing.drafted_at = timezone.now()
    existing.drafted_by = by
    existing.edited_at = None
    existing.edited_by = None
    existing.save(
        update_fields=[
            "body",
            "body_version",
            "drafted_at",
            "drafted_by",
            "edited_at",
            "edited_by",
        ]
    )
    existing.refresh_from_db()
    return existing


# --- Editing and finalising ---------------------------------------------------------------------


def _checked_body(body: str) -> str:
    if len(body or "") > BODY_MAX_LENGTH:
        raise ValidationError(
            {
                "body": ValidationError(
                    _("The text is too long: at most %(max)s characters.") % {"max": "200.000"},
                    code="body_too_long",
                )
            }
        )
    return clean_body(body)


@transaction.atomic
def minutes_edit(*, minutes: Minutes, body: str, base_version: int, by: User) -> int:
    """Save the edited text (sanitised) when nobody saved in between; returns the new version.

    Saving the text that is there already is not a conflict (a retry of a save that landed)."""
    clean = _checked_body(body)
    updated = Minutes.objects.filter(pk=minutes.pk, body_version=base_version).update(
        body=clean, body_version=F("body_version") + 1, edited_at=timezone.now(), edited_by=by
    )
    current = Minutes.objects.values("body", "body_version").get(pk=minutes.pk)
    if not updated and current["body"] != clean:
        raise MinutesConflict(theirs=current["body"], version=current["body_version"])
    minutes.body, minutes.body_version = current["body"], current["body_version"]
    return int(current["body_version"])


def render_enqueue(*, version_id: int) -> None:
    """Ask a worker to render; after a broker outage the sweep queues it again."""
    from meetings.minutes.tasks import render_minutes

    try:
        render_minutes.delay(version_id)
    except Exception:
        log.warning("Could not queue the minutes PDF of version %s.", version_id, exc_info=True)


@transaction.atomic
def minutes_finalise(
    minutes: Minutes,
    by: User | None,
    *,
    change_note: str = "",
    base_version: int | None = None,
) -> MinutesVersion:
    """Freeze the text as the next version and queue its PDF. After publication a version needs
    a note of what changed (a correction)."""
    locked = Minutes.objects.select_for_update().get(pk=minutes.pk)
    if base_version is not None and base_version != locked.body_version:
        raise MinutesConflict(theirs=locked.body, version=locked.body_version)
    if not clean_body(locked.body):
        raise ValidationError(_("The minutes are empty. Write them first."), code="minutes_empty")
    latest = locked.versions.order_by("-number").first()
    if latest is not None and latest.body == locked.body:
        raise ValidationError(
            _("Nothing has changed since version %(number)s.") % {"number": latest.number},
            code="unchanged",
        )
    change_note = " ".join((change_note or "").split())
    if len(change_note) > CHANGE_NOTE_MAX_LENGTH:
        raise ValidationError(
            {
                "change_note": ValidationError(
                    _("Keep the note short: at most 500 characters."), code="change_note_too_long"
                )
            }
        )
    if locked.published_number and not change_note:
        raise ValidationError(
            {
                "change_note": ValidationError(
                    _("Say what you corrected: residents see it with the new version."),
                    code="change_note_required",
                )
            }
        )
    version = MinutesVersion.objects.create(
        minutes=locked,
        number=(latest.number + 1) if latest else 1,
        body=locked.body,
        language=locked.language,
        change_note=change_note,
        finalised_by=by,
    )
    transaction.on_commit(partial(render_enqueue, version_id=version.pk))
    return version


@transaction.atomic
def minutes_correct(
    *, minutes: Minutes, body: str, base_version: int, by: User, change_note: str
) -> MinutesVersion:
    """After publication: save the corrected text and finalise it as the next version. The
    earlier versions stay as they are (and stay published until this one is)."""
    if not Minutes.objects.filter(pk=minutes.pk, published_number__isnull=False).exists():
        raise ValidationError(
            _("These minutes are not published yet: finalise them instead."),
            code="minutes_not_published",
        )
    minutes_edit(minutes=minutes, body=body, base_version=base_version, by=by)
    return minutes_finalise(minutes, by, change_note=change_note)


# --- Rendering (the Celery task calls these) ------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    version_id: int
    generation: int
    token: Any  # claimed_at: a claim taken back as stale is no longer this worker's


def _claimed(claim: Claim) -> Any:
    return MinutesVersion.objects.filter(
        pk=claim.version_id,
        render_status=RS.RENDERING,
        render_generation=claim.generation,
        claimed_at=claim.token,
    )


def render_claim(version_id: int) -> Claim | None:
    """Take the version for rendering with one conditional update: waiting, or claimed by a
    worker that died. None: done already, being rendered, or gone."""
    now = timezone.now()
    claimable = Q(render_status=RS.QUEUED) | Q(
        render_status=RS.RENDERING, claimed_at__lt=now - RENDER_STALE
    )
    updated = (
        MinutesVersion.objects.filter(pk=version_id)
        .filter(claimable)
        .update(
            render_status=RS.RENDERING,
            claimed_at=now,
            progress=5,
            render_attempts=F("render_attempts") + 1,
        )
    )
    if not updated:
        return None
    row = MinutesVersion.objects.filter(pk=version_id).values("render_generation").first()
    if row is None:
        return None
    return Claim(version_id=version_id, generation=row["render_generation"], token=now)


def _progress(claim: Claim, value: int) -> None:
    _claimed(claim).update(progress=value)


def _delete_files(names: Iterable[str]) -> None:
    for name in names:
        if name:
            try:
                default_storage.delete(name)
            except OSError:
                log.warning("Could not delete %s", name, exc_info=True)


@changes_public_pages
def minutes_render(*, version_id: int) -> str:
    """Render a version's two PDFs and store them. Idempotent: "skipped" when there is nothing
    to do, "superseded" when a newer request to render came in meanwhile (that one renders),
    "done". Raises on failure: the task records the reason and retries."""
    claim = render_claim(version_id)
    if claim is None:
        return "skipped"
    version = MinutesVersion.objects.select_related("minutes__meeting__neighbourhood").get(
        pk=version_id
    )
    meeting = version.minutes.meeting
    record = minutes_record(meeting)
    _progress(claim, 20)
    normal = pdf_bytes(minutes_html(version, record=record))
    _progress(claim, 55)
    large = pdf_bytes(minutes_html(version, large=True, record=record))
    _progress(claim, 85)
    folder = f"minutes/{meeting.neighbourhood.slug}/"
    names = [
        default_storage.save(
            folder + pdf_filename(meeting, version.number, large=False), ContentFile(normal)
        ),
        default_storage.save(
            folder + pdf_filename(meeting, version.number, large=True), ContentFile(large)
        ),
    ]
    old = [version.pdf.name, version.pdf_large.name]
    with transaction.atomic():
        stored = _claimed(claim).update(
            render_status=RS.DONE,
            progress=100,
            pdf=names[0],
            pdf_large=names[1],
            render_error="",
            rendered_at=timezone.now(),
            claimed_at=None,
        )
        if stored:
            version.named_people.set(record.named)
    if not stored:
        _delete_files(names)
        return "superseded"
    _delete_files(n for n in old if n and n not in names)
    if version.published_at is not None:  # made again (a name left out): its PDFs are back
        public_pages_changed([meeting.neighbourhood_id])
    return "done"


def minutes_render_failed(*, version_id: int, reason: str, retrying: bool) -> None:
    """Record why rendering failed; waiting again when the task will retry."""
    reason = reason.strip()[:2000] or "?"
    MinutesVersion.objects.filter(pk=version_id, render_status=RS.RENDERING).update(
        render_status=RS.QUEUED if retrying else RS.FAILED,
        render_error=reason,
        claimed_at=None,
        queued_at=timezone.now(),
        progress=0,
    )


def render_may_retry(version: MinutesVersion) -> bool:
    """The chair may ask again: it failed, or it has waited or been claimed too long."""
    now = timezone.now()
    if version.render_status == RS.FAILED:
        return True
    if version.render_status == RS.QUEUED:
        return version.queued_at < now - RENDER_WAIT_TOO_LONG
    if version.render_status == RS.RENDERING:
        return version.claimed_at is not None and version.claimed_at < now - RENDER_STALE
    return False


@transaction.atomic
def minutes_render_again(*, version: MinutesVersion) -> bool:
    """Queue a version again ("Try again"). False when it is not stuck or failed."""
    locked = MinutesVersion.objects.select_for_update().get(pk=version.pk)
    if not render_may_retry(locked):
        return False
    MinutesVersion.objects.filter(pk=locked.pk).update(
        render_status=RS.QUEUED,
        progress=0,
        claimed_at=None,
        queued_at=timezone.now(),
        render_generation=F("render_generation") + 1,
    )
    transaction.on_commit(partial(render_enqueue, version_id=locked.pk))
    return True


def minutes_renders_requeue_stale() -> int:
    """The sweep (due work): a version left waiting by a lost broker message, or claimed by a
    worker that died, is queued again. The task claims conditionally, so a version queued twice
    is still made once. Returns the number queued."""
    now = timezone.now()
    stale = MinutesVersion.objects.filter(
        Q(render_status=RS.QUEUED, queued_at__lt=now - RENDER_WAIT_TOO_LONG)
        | Q(render_status=RS.RENDERING, claimed_at__lt=now - RENDER_STALE)
    ).values_list("pk", flat=True)
    ids = list(stale)
    for version_id in ids:
        render_enqueue(version_id=version_id)
    return len(ids)


# --- Publishing and the mail ----------------------------------------------------------------------


def minutes_recipients(neighbourhood: Neighbourhood) -> list[User]:
    """Active members who want the agenda mail, and the whole team whatever they chose."""
    in_hood = Membership.objects.active().filter(neighbourhood=neighbourhood, user=OuterRef("pk"))
    return list(
        User.objects.filter(Exists(in_hood), is_active=True, anonymised_at__isnull=True)
        .exclude(email=None)
        .exclude(email="")
        .filter(wants(MailTopic.MINUTES, neighbourhood))
        .order_by("pk")
    )


def minutes_url(meeting: Meeting, number: int | None = None) -> str:
    slug = meeting.neighbourhood.slug
    if number is None:
        return settings.SITE_URL + reverse("minutes:minutes", args=[slug, meeting.pk])
    return settings.SITE_URL + reverse("minutes:minutes_version", args=[slug, meeting.pk, number])


def minutes_mail(version: MinutesVersion, by: User | None) -> Mailing:
    """The minutes mail of one version, once (the key): a second call returns the first."""
    meeting = version.minutes.meeting
    slug = meeting.neighbourhood.slug
    args = [slug, meeting.pk, version.number]
    return mailing_create(
        kind=MeetingMail.MINUTES,
        recipients=recipients_for(minutes_recipients(meeting.neighbourhood)),
        neighbourhood=meeting.neighbourhood,
        subject=meeting,
        context={
            "version_id": version.pk,
            "number": version.number,
            "correction": version.number > 1,
            "change_note": version.change_note,
            "minutes_url": minutes_url(meeting),
            "pdf_url": settings.SITE_URL + reverse("minutes:minutes_pdf", args=args),
            "large_url": settings.SITE_URL + reverse("minutes:minutes_pdf_large", args=args),
            "settings_url": settings.SITE_URL + reverse("account:my_data"),
        },
        created_by=by,
        key=f"minutes:{version.pk}",
    )


@changes_public_pages
@transaction.atomic
def minutes_publish(version: MinutesVersion, by: User | None) -> Mailing:
    """Publish a rendered version: it shows on the meeting and neighbourhood pages and is mailed
    (once per version, however often this is called)."""
    locked = (
        MinutesVersion.objects.select_for_update()
        .select_related("minutes__meeting__neighbourhood")
        .get(pk=version.pk)
    )
    minutes = Minutes.objects.select_for_update().get(pk=locked.minutes_id)
    if locked.render_status != RS.DONE:
        raise ValidationError(
            _("The PDF is not ready yet. Publish once it has been made."), code="pdf_not_ready"
        )
    if minutes.published_number and minutes.published_number > locked.number:
        raise ValidationError(
            _("Version %(number)s is published already: a later version cannot be replaced.")
            % {"number": minutes.published_number},
            code="later_version_published",
        )
    now = timezone.now()
    if locked.published_at is None:
        MinutesVersion.objects.filter(pk=locked.pk).update(published_at=now, published_by=by)
        locked.published_at, locked.published_by = now, by
        Minutes.objects.filter(pk=minutes.pk).update(
            status=Minutes.Status.PUBLISHED,
            published_number=locked.number,
            published_at=minutes.published_at or now,
            published_by=minutes.published_by if minutes.published_at else by,
        )
        # A meeting closed on the agenda screen now has its minutes out.
        transition = workflow.BY_MOVE[workflow.Move.PUBLISH_MINUTES]
        Meeting.objects.filter(pk=minutes.meeting_id, status__in=transition.sources).update(
            status=transition.target, version=F("version") + 1
        )
    version.published_at, version.published_by = locked.published_at, locked.published_by
    return minutes_mail(locked, by)


@attachments_for(MeetingMail.MINUTES)
def minutes_attachments(mailing: Mailing, delivery: Delivery) -> list[Attachment]:
    """The PDF, for those who want the minutes as an attachment; the others get the link."""
    user = delivery.user
    if user is None or not user.minutes_as_pdf:
        return []
    version = (
        MinutesVersion.objects.select_related("minutes__meeting__neighbourhood")
        .filter(pk=mailing.context.get("version_id"))
        .first()
    )
    if version is None:
        return []
    if version.busy:
        # Being rendered again (a name removed): send once the new PDF is there.
        raise TransientMailError("the minutes PDF is being made again")
    if not version.ready:
        return []
    with default_storage.open(str(version.pdf.name), "rb") as stored:
        content = stored.read()
    name = pdf_filename(version.minutes.meeting, version.number, large=False)
    return [(name, content, "application/pdf")]


# --- A withdrawn consent or a deleted account -----------------------------------------------------


def _name_pattern(name: str) -> re.Pattern[str] | None:
    """The full name as typed in a text: only names of two words or more, so that a first
    name alone never removes someone else's."""
    words = name.split()
    if len(words) < 2:
        return None
    return re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, words)) + r"(?!\w)", re.IGNORECASE)


def _removed_label(language: str) -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        return _("[name removed]")


@changes_public_pages
@transaction.atomic
def minutes_person_withdrawn(*, user: User) -> list[int]:
    """Someone withdrew their consent to be named, or deleted their account: every version that
    named them is rendered again under the same number (their name left out), with a note of
    the change; a version still being made for a meeting they were at is made again too. Their
    full name typed into a text is replaced. Call it before the name is scrubbed. Returns the
    ids of the versions rendered again."""
    pattern = _name_pattern(user.display_name or "")
    at_meeting = (
        Q(minutes__meeting__attendance__user=user)
        | Q(minutes__meeting__chair=user)
        | Q(minutes__meeting__minute_taker=user)
    )
    named = set(
        MinutesVersion.objects.filter(named_people=user).values_list("pk", flat=True).distinct()
    )
    candidates = Q(pk__in=named) | (at_meeting & Q(render_status__in=[RS.QUEUED, RS.RENDERING]))
    if pattern is not None:
        candidates |= Q(body__icontains=user.display_name.split()[-1])
    now = timezone.now()
    old_files: list[str] = []
    done: list[int] = []
    for version in (
        MinutesVersion.objects.select_for_update()
        .filter(pk__in=MinutesVersion.objects.filter(candidates).values("pk"))
        .order_by("pk")
    ):
        body = version.body
        if pattern is not None:
            body = pattern.sub(_removed_label(version.language), body)
        mentioned = body != version.body
        if not (version.pk in named or mentioned or version.busy):
            continue  # the surname matched, the full name did not: nothing of theirs here
        amendments = list(version.amendments or [])
        if version.pk in named or mentioned:
            amendments.append({"kind": "name_removed", "at": now.isoformat()})
        old_files += [version.pdf.name or "", version.pdf_large.name or ""]
        MinutesVersion.objects.filter(pk=version.pk).update(
            body=body,
            amendments=amendments,
            pdf="",
            pdf_large="",
            render_status=RS.QUEUED,
            progress=0,
            render_error="",
            claimed_at=None,
            queued_at=now,
            render_generation=F("render_generation") + 1,
        )
        version.named_people.remove(user)
        done.append(version.pk)
    if pattern is not None:
        for minutes in Minutes.objects.select_for_update().filter(
            body__icontains=user.display_name.split()[-1]
        ):
            body = pattern.sub(_removed_label(minutes.language), minutes.body)
            if body != minutes.body:
                Minutes.objects.filter(pk=minutes.pk).update(
                    body=body, body_version=F("body_version") + 1
                )
    # The old files printed the name: gone as soon as this commits, then the new ones are made.
    transaction.on_commit(partial(_delete_files, [n for n in old_files if n]))
    for pk in done:
        transaction.on_commit(partial(render_enqueue, version_id=pk))
    public_pages_changed(
        MinutesVersion.objects.filter(pk__in=done, published_at__isnull=False).values_list(
            "minutes__meeting__neighbourhood_id", flat=True
        )
    )
    return done
