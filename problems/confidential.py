"""Confidential details: the one gate every screen that shows them passes.

    confidential_access(request, [problem])

A view calls it, for the team only, right before it renders a problem's confidential details
(its real title and text when it is sensitive, the confidential details, the reporter, the
team's notes, a sensitive problem's photos or analysis). Two things happen in one place:

- the session must have passed the second factor; if not, SecondFactorRequired is raised and
  the person is asked for it first, then brought back (residents.second_factor);
- each showing is logged (ConfidentialView), one row per problem shown, for the chair's log.

Nothing is logged while rendering: templates only show what the view let through.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest

from problems import services
from problems.models import Problem
from residents.second_factor import require_second_factor


def confidential_access(request: HttpRequest, problems: Iterable[Problem]) -> None:
    """Let this session see these problems' confidential details, and log that it did.

    Raises SecondFactorRequired when the session has not passed the second factor. A screen
    that shows confidential details of none of its problems (the queue's reporters only, say)
    still passes the check with an empty list: it asks for the second factor, logs nothing.
    """
    require_second_factor(request)
    shown = list(problems)
    if shown:
        services.confidential_views_log(problems=shown, user=request.user)  # type: ignore[arg-type]
