"""What the mail to a problem's followers says about the change (emails/problem_status.*).

Read once per sending run by the mail pipeline (registered in problems.mail_kinds), so the
templates and their tags read nothing from the database. Only public fields reach them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import lazy

from buurtoverleg.mail.models import Mailing
from problems.models import Problem, TimelineEntry
from problems.workflow import Move, Status


@dataclass(frozen=True)
class MailEntry:
    """What a status mail may say about a timeline entry: public fields only. The words are
    lazy: each recipient reads them in their own language."""

    status: Any  # the new status's label
    public_note: str
    merged_into_title: Any  # the public title of the problem it was merged into, or ""


def _public_title(problem: Problem) -> str:
    return str(problem.public_title)


public_title_lazy = lazy(_public_title, str)


def mail_entry(problem: Problem, entry: TimelineEntry) -> MailEntry:
    """The entry reduced to what everyone may see (`entry.other` with its category loaded)."""
    status = entry.to_status or problem.status
    other = entry.other if entry.move == Move.MERGE else None
    return MailEntry(
        status=Status(status).label if status in Status.values else "",
        public_note=entry.public_note,
        merged_into_title=public_title_lazy(other) if other is not None else "",
    )


def status_mail_context(mailing: Mailing) -> dict[str, Any]:
    """`entry`: the change the mail is about (a MailEntry, or None); `followed`: the problem
    whose unfollow link it carries (after a merge people follow the problem that stays)."""
    problem = mailing.subject
    if not isinstance(problem, Problem):
        return {"entry": None, "followed": None}
    entry_id = mailing.context.get("entry_id")
    found = None
    if isinstance(entry_id, int):
        found = (
            TimelineEntry.objects.filter(pk=entry_id, problem=problem)
            .select_related("other__category")
            .first()
        )
    followed = problem.merged_into if problem.merged_into_id else problem
    return {
        "entry": mail_entry(problem, found) if found is not None else None,
        "followed": followed or problem,
    }
