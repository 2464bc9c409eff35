"""The printed pack for the neighbourhood office, and the notice-board poster.

    html = poster_html(neighbourhood)        # one A4 poster, for WeasyPrint
    pdf = poster_pdf(neighbourhood)          # the poster alone
    pdf = pack_pdf(meeting)                  # minutes + poster + paper ballots, one PDF

The poster shows the current priorities (public titles and locations) with their actions'
outcome, owner organisation, status, date and latest progress, the next meeting, and a QR code
to the neighbourhood page. Public fields only: no person is named, not an action's owner or
contact person, not whoever posted progress, never a reporter.

The pack is one PDF to print after a meeting: the minutes (the latest published version, else
the latest version, else the draft with its watermark: meetings.minutes.pdf renders them),
then the poster, then the paper ballot of the next meeting's priority round when it has
candidates (meetings.rounds.pdf). Each part is laid out as its own document, so it keeps its
own page rules (the minutes' header and "page x of y", the ballot's margins), and the pages are
then written as one tagged PDF (WeasyPrint's documented Document.copy) with the pack's title
and language. Everything is rendered in the minutes' language. buurtoverleg.pdf lays out and
writes every part: tagged (PDF/UA-1), fetching nothing but the inline QR codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.template.defaultfilters import truncatechars
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from buurtoverleg.pdf import combine_documents, layout_pdf, write_pdf
from buurtoverleg.qr import qr_data_uri
from meetings.actions.models import ACTION_ACTIVE, Action, ActionUpdate
from meetings.minutes.models import Minutes, MinutesVersion
from meetings.minutes.pdf import minutes_draft_html, minutes_html
from meetings.planning.models import Meeting
from meetings.rounds.models import PriorityRound
from meetings.rounds.pdf import ballot_paper_html
from meetings.selectors import meeting_after
from problems.models import Problem
from residents.models import Neighbourhood

POSTER_TEMPLATE = "meetings/poster_pdf.html"

# The poster is one A4 page, to be read from a step away. It shows the most supported
# priorities and the first actions of each, with shortened texts, and says what is left out
# (that is on the website, behind the QR code). What fits is measured: the poster is laid out
# with the most it may show, and with less until it is one page (POSTER_BUDGETS).
POSTER_BUDGETS = ((4, 2), (4, 1), (3, 2), (3, 1), (2, 1), (1, 1), (1, 0))  # priorities, actions
OUTCOME_CHARS = 110
PROGRESS_CHARS = 120
TITLE_CHARS = 90
# Never read for the poster (and some not public).
UNREAD_PROBLEM_FIELDS = ("description", "confidential_details", "reported_for", "since")
MOST_PRIORITIES = max(budget[0] for budget in POSTER_BUDGETS)
MOST_ACTIONS = max(budget[1] for budget in POSTER_BUDGETS)


# --- The poster -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PosterAction:
    outcome: str
    owner: str  # the owner organisation, or "Residents"
    status: str
    status_label: str
    due_date: date
    active: bool  # still to be done
    overdue: bool
    progress_at: datetime | None
    progress: str


@dataclass
class PosterPriority:
    title: str  # the public title
    location: str  # the public location
    category: str
    actions: list[PosterAction] = field(default_factory=list)
    more_actions: int = 0  # not shown: on the website

    def shown(self, actions: int) -> PosterPriority:
        """This priority with at most `actions` actions; the rest counted as "more"."""
        return replace(
            self,
            actions=self.actions[:actions],
            more_actions=self.more_actions + max(0, len(self.actions) - actions),
        )


@dataclass(frozen=True)
class Poster:
    """What the poster shows at most; `fitted` cuts it down to a budget."""

    context: dict[str, Any]
    priorities: list[PosterPriority]
    more_priorities: int

    def fitted(self, priorities: int, actions: int) -> dict[str, Any]:
        return {
            **self.context,
            "priorities": [p.shown(actions) for p in self.priorities[:priorities]],
            "more_priorities": self.more_priorities + max(0, len(self.priorities) - priorities),
        }


def neighbourhood_url(neighbourhood: Neighbourhood) -> str:
    return settings.SITE_URL + reverse("neighbourhood", args=[neighbourhood.slug])


def poster_priorities(
    neighbourhood: Neighbourhood, today: date
) -> tuple[list[PosterPriority], int]:
    """The first priorities (most supported first) with their first actions (still to do
    first, by date) and each action's latest progress; and how many priorities are left out.
    Three queries, whatever the size of the neighbourhood."""
    problems = list(
        Problem.objects.public()
        .for_neighbourhood(neighbourhood)
        .priorities()
        .select_related("category")
        .defer(*UNREAD_PROBLEM_FIELDS)
        .order_by("-support_count", "pk")
    )
    shown = problems[:MOST_PRIORITIES]
    priorities = {
        problem.pk: PosterPriority(
            title=truncatechars(problem.public_title, TITLE_CHARS),
            location=problem.public_location,
            category=problem.category.label,
        )
        for problem in shown
    }
    if not priorities:
        return [], len(problems)
    # Annotated with latest_progress_id.
    actions: list[Any] = list(
        Action.objects.filter(neighbourhood=neighbourhood, problem_id__in=list(priorities))
        .select_related("owner_organisation")
        .only("problem_id", "outcome", "owner_organisation__name", "status", "due_date")
        .with_latest_progress()
        .order_by("due_date", "pk")
    )
    # Still to do first (soonest date first), then what is finished.
    actions.sort(key=lambda a: a.status not in ACTION_ACTIVE)
    picked: list[Any] = []
    taken: dict[int, int] = {}
    for action in actions:
        if taken.get(action.problem_id, 0) < MOST_ACTIONS:
            taken[action.problem_id] = taken.get(action.problem_id, 0) + 1
            picked.append(action)
        else:
            priorities[action.problem_id].more_actions += 1
    ids = [a.latest_progress_id for a in picked if a.latest_progress_id]
    progress = {
        update.pk: update for update in ActionUpdate.objects.filter(pk__in=ids).only("at", "text")
    }
    for action in picked:
        update = progress.get(action.latest_progress_id)
        priorities[action.problem_id].actions.append(
            PosterAction(
                outcome=truncatechars(action.outcome, OUTCOME_CHARS),
                owner=action.owner_label,
                status=action.status,
                status_label=str(action.get_status_display()),
                due_date=action.due_date,
                active=action.status in ACTION_ACTIVE,
                overdue=action.status in ACTION_ACTIVE and action.due_date < today,
                progress_at=timezone.localtime(update.at) if update else None,
                progress=truncatechars(" ".join(update.text.split()), PROGRESS_CHARS)
                if update
                else "",
            )
        )
    return list(priorities.values()), len(problems) - len(shown)


def next_meeting_of(neighbourhood: Neighbourhood) -> Meeting | None:
    """The next meeting residents can still come to."""
    return Meeting.objects.for_neighbourhood(neighbourhood).upcoming().first()


def poster_data(neighbourhood: Neighbourhood) -> Poster:
    """Four queries: the priorities, their actions, the latest progress, the next meeting."""
    today = timezone.localdate()
    priorities, more_priorities = poster_priorities(neighbourhood, today)
    following = next_meeting_of(neighbourhood)
    url = neighbourhood_url(neighbourhood)
    context = {
        "neighbourhood": neighbourhood,
        "title": _("Neighbourhood meeting %(name)s: what we are tackling together")
        % {"name": neighbourhood.name},
        "next_meeting": following,
        "next_starts": timezone.localtime(following.starts_at) if following else None,
        "next_ends": timezone.localtime(following.ends_at) if following else None,
        "url": url,
        "short_url": url.split("://", 1)[-1],
        "qr": qr_data_uri(url),
        "printed_on": today,
    }
    return Poster(context, priorities, more_priorities)


def _budgets(priorities: int) -> list[tuple[int, int]]:
    """POSTER_BUDGETS for this many priorities, without repeats."""
    found: list[tuple[int, int]] = []
    for most, actions in POSTER_BUDGETS:
        budget = (min(most, priorities), actions if priorities else 0)
        if budget not in found:
            found.append(budget)
    return found


def _poster(neighbourhood: Neighbourhood, fonts: Any = None) -> tuple[str, Any]:
    """The poster's HTML and its laid-out document: the most that fits on one page."""
    poster = poster_data(neighbourhood)
    for priorities, actions in _budgets(len(poster.priorities)):
        html = render_to_string(POSTER_TEMPLATE, poster.fitted(priorities, actions))
        document = layout_pdf(html, fonts)
        if len(document.pages) == 1:
            break
    return html, document


def poster_html(neighbourhood: Neighbourhood) -> str:
    """The notice-board poster as HTML for WeasyPrint, in the active language: as much as fits
    on one A4 page (laid out to find out)."""
    return _poster(neighbourhood)[0]


# --- Rendering (buurtoverleg.pdf: tagged, fetching nothing but data: URIs) ----------------------


def poster_pdf(neighbourhood: Neighbourhood) -> bytes:
    """The poster alone, in the active language."""
    return write_pdf(_poster(neighbourhood)[1])


# --- The printed pack -------------------------------------------------------------------------


@dataclass(frozen=True)
class PackPart:
    kind: str  # "minutes", "poster" or "ballot"
    html: str
    document: Any  # laid out by WeasyPrint with its own CSS


@dataclass(frozen=True)
class PackMinutes:
    """What the pack prints of the minutes: a version, or the draft (neither: none yet)."""

    minutes: Minutes | None
    version: MinutesVersion | None

    @property
    def language(self) -> str:
        if self.version is not None:
            return self.version.language or settings.LANGUAGE_CODE
        if self.minutes is not None:
            return self.minutes.language or settings.LANGUAGE_CODE
        return settings.LANGUAGE_CODE

    def html(self) -> str | None:
        if self.version is not None:
            return minutes_html(self.version)
        if self.minutes is not None:
            return minutes_draft_html(self.minutes)
        return None


def pack_minutes(meeting: Meeting) -> PackMinutes:
    """The latest published version, else the latest version, else the draft."""
    minutes = Minutes.objects.filter(meeting=meeting).first()
    if minutes is None:
        return PackMinutes(None, None)
    minutes.meeting = meeting
    versions = minutes.versions.order_by("-number")
    version = None
    if minutes.published_number:
        version = versions.filter(number=minutes.published_number).first()
    version = version or versions.first()
    if version is not None:
        version.minutes = minutes
    return PackMinutes(minutes, version)


def next_round(meeting: Meeting) -> PriorityRound | None:
    """The next meeting's priority round, if it is still to be voted on and has candidates."""
    following = meeting_after(meeting)
    if following is None:
        return None
    priority_round = (
        PriorityRound.objects.filter(meeting=following, candidates__isnull=False)
        .exclude(status=PriorityRound.Status.CLOSED)
        .distinct()
        .first()
    )
    if priority_round is not None:
        following.neighbourhood = meeting.neighbourhood
        priority_round.meeting = following
        priority_round.neighbourhood = meeting.neighbourhood
    return priority_round


def pack_title(meeting: Meeting) -> str:
    return _("Printed pack of the neighbourhood meeting %(name)s, %(date)s") % {
        "name": meeting.neighbourhood.name,
        "date": formats.date_format(timezone.localtime(meeting.starts_at), "j F Y"),
    }


@dataclass(frozen=True)
class Pack:
    title: str
    language: str
    parts: list[PackPart]


def pack_parts(meeting: Meeting) -> Pack:
    """The pack's parts, each laid out on its own, in the minutes' language (else the
    site's)."""
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()  # shared: each font is loaded once for the whole pack
    found = pack_minutes(meeting)
    language = found.language
    parts: list[PackPart] = []
    minutes = found.html()  # in the minutes' own language
    if minutes is not None:
        parts.append(PackPart("minutes", minutes, layout_pdf(minutes, fonts)))
    with translation.override(language):
        parts.append(PackPart("poster", *_poster(meeting.neighbourhood, fonts)))
        priority_round = next_round(meeting)
        if priority_round is not None:
            ballot = ballot_paper_html(priority_round=priority_round)
            parts.append(PackPart("ballot", ballot, layout_pdf(ballot, fonts)))
        title = pack_title(meeting)
    return Pack(title=title, language=language, parts=parts)


def pack_pdf(meeting: Meeting) -> bytes:
    """The printed pack as one tagged PDF (see the module's docstring)."""
    pack = pack_parts(meeting)
    documents = [part.document for part in pack.parts]
    return write_pdf(combine_documents(documents, title=pack.title, language=pack.language))


def pack_filename(meeting: Meeting) -> str:
    """printpakket-kanaleneiland-noord-2026-03-10.pdf (a file name, not translated)."""
    day = timezone.localtime(meeting.starts_at).date().isoformat()
    return f"printpakket-{meeting.neighbourhood.slug}-{day}.pdf"


def poster_filename(neighbourhood: Neighbourhood) -> str:
    return f"affiche-{neighbourhood.slug}-{timezone.localdate().isoformat()}.pdf"
