""" "Is het beter geworden?": the page behind the personal link in the survey mail, and what the
team sees of the answers.

Weeks after the meeting resolved a problem, its supporters and followers get a link
(meetings.actions.survey). The link is the authority, as with the ballot and unfollow links: it
names the person and the resolution, never logs anyone in and touches no session, so the POST
needs no CSRF token (a forged POST would need the token, which is all the person has anyway).
Every write goes through action_services.survey_answer; answering again replaces the answer.
What the team sees of the answers is meetings.actions.selectors.survey_summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from meetings.actions.models import SurveyAnswer
from meetings.actions.selectors import reopened_since, survey_answer_of, survey_resolution
from meetings.actions.services import SURVEY, survey_answer
from problems.models import TimelineEntry
from residents.links import LinkError, LinkExpired, read_action_link_token
from residents.models import User

TEMPLATE = "problems/survey.html"
LINK_PROBLEM_TEMPLATE = "problems/survey_link_problem.html"
Answer = SurveyAnswer.Answer


class SurveyForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Has it got better?"),
        choices=Answer.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose better, the same or worse.")},
    )
    remark = forms.CharField(
        label=_("Anything you want to add?"),
        help_text=_(
            "For example what is better or worse now. The team reads it without your name. "
            "Please do not write names or addresses of others."
        ),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@dataclass(frozen=True)
class ErrorLine:
    """One line of the error summary; `anchor` is the id of the field it is about."""

    text: str
    anchor: str = ""


def _page(
    request: HttpRequest,
    resolution: TimelineEntry,
    person: User,
    expires_at: datetime,
    *,
    reopened: bool,
    form: SurveyForm | None = None,
    done: bool = False,
) -> HttpResponse:
    mine = survey_answer_of(resolution, person)
    if form is None:
        initial = {"answer": mine.answer, "remark": mine.remark} if mine else {}
        form = SurveyForm(initial=initial)
    # The summary links to each field; a radio group is reached through its first option.
    errors = [ErrorLine(str(e)) for e in form.non_field_errors()]
    errors += [
        ErrorLine(str(e), anchor=f"{f.auto_id}_0" if f.name == "answer" else f.auto_id)
        for f in form
        for e in f.errors
    ]
    problem = resolution.problem
    context: dict[str, Any] = {
        "resolution": resolution,
        "problem": problem,
        "neighbourhood": problem.neighbourhood,
        "meeting": resolution.meeting,
        "person": person,
        "form": form,
        "errors": errors,
        "mine": mine,
        "done": done,
        "reopened": reopened,
        "expires_at": expires_at,
    }
    return render(request, TEMPLATE, context)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def survey_link(request: HttpRequest, token: str) -> HttpResponse:
    """The question, the answer, and the thanks; for the person and resolution in the token."""
    try:
        link = read_action_link_token(token=token, purpose=SURVEY)
    except LinkExpired:
        return render(request, LINK_PROBLEM_TEMPLATE, {"expired": True}, status=410)
    except LinkError:
        return render(request, LINK_PROBLEM_TEMPLATE, {"expired": False}, status=400)
    resolution = survey_resolution(link.obj.pk)
    if resolution is None:  # only resolutions get links; anything else is not one of ours
        return render(request, LINK_PROBLEM_TEMPLATE, {"expired": False}, status=400)
    person, expires_at = link.user, link.expires_at
    reopened = reopened_since(resolution)
    if request.method != "POST" or reopened:
        return _page(request, resolution, person, expires_at, reopened=reopened)
    form = SurveyForm(request.POST)
    if not form.is_valid():
        return _page(request, resolution, person, expires_at, reopened=False, form=form)
    survey_answer(
        resolution=resolution,
        user=person,
        answer=form.cleaned_data["answer"],
        remark=form.cleaned_data["remark"],
    )
    return _page(request, resolution, person, expires_at, reopened=False, done=True)
