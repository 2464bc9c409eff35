"""The public register, a problem's page, support and following, and "Mijn meldingen".

Problems are fetched through `problem_for` (404 for what a person may not see); every write
goes through problems.services. Reporters' names and confidential details reach the page only
for the team (through problems.confidential: second factor checked, each view logged) or the
reporter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.timesince import TIME_STRINGS, timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from buurtoverleg.htmx import partial_or_redirect
from buurtoverleg.http import AuthenticatedHttpRequest, local_next
from problems import services
from problems.access import Access, access_in, problem_for
from problems.confidential import confidential_access
from problems.links import UNFOLLOW
from problems.models import Category, Problem
from problems.problem_sections import problem_sections, problem_team_sections
from problems.selectors import (
    involved_in,
    is_following,
    is_supporting,
    people_shown,
    problem_timeline,
    register_problems,
    reported_by,
    supported_ids,
)
from problems.team.forms import ReopenRequestForm
from problems.team.selectors import team_panel_context
from problems.templatetags.problem_tags import status_badge
from problems.workflow import BY_MOVE, PUBLIC, Move, Status
from residents.links import LinkError, LinkExpired, read_action_link_token
from residents.models import Neighbourhood, Role

PER_PAGE = 50
TEAM_PANEL = "problems/_team_panel.html"
REOPENABLE = BY_MOVE[Move.REOPEN].sources


class RegisterFilterForm(forms.Form):
    """The register's filters. Values that do not validate are dropped, never an error."""

    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[
            ("", gettext_lazy("All statuses")),
            *((status.value, status.label) for status in Status if status in PUBLIC),
        ],
    )
    street = forms.CharField(label=gettext_lazy("Street"), required=False, max_length=120)
    sort = forms.ChoiceField(
        label=gettext_lazy("Sort by"),
        required=False,
        choices=[
            ("support", gettext_lazy("Most support")),
            ("newest", gettext_lazy("Newest")),
            ("activity", gettext_lazy("Recent activity")),
        ],
    )

    def __init__(self, data: dict[str, str], *, categories: list[Category]) -> None:
        super().__init__(data)
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", gettext_lazy("All categories")),
            *((category.slug, category.label) for category in categories),
        ]


def _filters(request: HttpRequest, categories: list[Category]) -> RegisterFilterForm:
    """The filter form bound to the valid values of the query string only."""
    names = ("category", "status", "street", "sort")
    given = {name: request.GET.get(name, "") for name in names if request.GET.get(name)}
    form = RegisterFilterForm(given, categories=categories)
    if not form.is_valid():
        given = {name: value for name, value in given.items() if name not in form.errors}
        form = RegisterFilterForm(given, categories=categories)
        form.is_valid()
    return form


def _status_labels() -> dict[str, str]:
    # Translated once per page: get_status_display() hashes every lazy choice on every row.
    return {value: str(label) for value, label in Status.choices}


@dataclass(frozen=True)
class RegisterRow:
    """One problem on the register, with its words made once per page (a page of 50 rows
    must stay cheap: bench/register.py)."""

    problem: Problem
    url: str
    title: str  # the public title: a sensitive problem's summary
    category: str
    status: str
    badge: SafeString  # the status as word and icon, made once per status
    facts: SafeString  # "where · how many have it too · how old"
    chronic: bool
    likely_chronic: bool


class _Words:
    """Per-row phrases, translated once per distinct value rather than once per row."""

    def __init__(self) -> None:
        self.now = timezone.now()
        self.statuses = _status_labels()
        self._badges: dict[str, SafeString] = {}
        self.ago = _("reported %(age)s ago")
        self._supports: dict[int, str] = {}
        self._ages: dict[tuple[str, int], str] = {}

    def badge(self, status: str) -> SafeString:
        if status not in self._badges:
            self._badges[status] = status_badge(status, self.statuses[status])
        return self._badges[status]

    def support(self, count: int) -> str:
        if count not in self._supports:
            self._supports[count] = ngettext(
                "%(counter)s resident has this too", "%(counter)s residents have this too", count
            ) % {"counter": count}
        return self._supports[count]

    def age(self, when: datetime) -> str:
        """ "reported 3 months ago": like timesince(depth=1), made once per distinct value."""
        days = (self.now - when).days
        if days < 1:
            return self.ago % {"age": timesince(when, self.now, depth=1)}
        for unit, size in (("year", 365), ("month", 30), ("week", 7), ("day", 1)):
            if days >= size:
                key = (unit, days // size)
                break
        if key not in self._ages:
            self._ages[key] = self.ago % {"age": TIME_STRINGS[key[0]] % {"num": key[1]}}
        return self._ages[key]


@require_GET
def problem_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The public register: accepted problems of one neighbourhood, for everyone."""
    hood = get_object_or_404(Neighbourhood, slug=slug)
    access = access_in(request.user, hood)
    categories = Category.objects.listed()
    form = _filters(request, categories)
    chosen = form.cleaned_data
    # The categories are loaded for the filter anyway: rows take theirs from there, so the
    # database sorts the problems alone instead of joining every candidate row first.
    by_id = {category.pk: category for category in categories}
    problems = register_problems(
        hood,
        category=chosen.get("category", ""),
        status=chosen.get("status", ""),
        street=chosen.get("street", ""),
        sort=chosen.get("sort", ""),
    )
    page = Paginator(problems, PER_PAGE).get_page(request.GET.get("page"))
    list_url = reverse("problem_list", kwargs={"slug": hood.slug})
    words = _Words()
    rows = []
    for problem in page.object_list:
        problem.neighbourhood = hood  # all of one neighbourhood: no query per row
        if problem.category_id not in by_id:  # newer than this process's list
            by_id = {category.pk: category for category in Category.objects.listed(fresh=True)}
        problem.category = by_id[problem.category_id]
        rows.append(
            RegisterRow(
                problem=problem,
                url=f"{list_url}{problem.pk}/",  # = reverse("problem", ...), without 50 reverses
                title=problem.public_title,
                category=problem.category.label,
                status=problem.status,
                badge=words.badge(problem.status),
                facts=format_html(
                    "{} · <strong>{}</strong> · {}",
                    problem.public_location,
                    words.support(problem.support_count),
                    words.age(problem.created_at),
                ),
                chronic=problem.chronic_confirmed_at is not None,
                # The team sees why a problem may be chronic; the chair confirms it.
                likely_chronic=access.team
                and problem.chronic_confirmed_at is None
                and bool(problem.chronic_signals()),
            )
        )
    query = urlencode({name: value for name, value in chosen.items() if value})
    return render(
        request,
        "problems/list.html",
        {
            "neighbourhood": hood,
            "access": access,
            "form": form,
            "chosen": chosen,
            "list_url": list_url,
            "page": page,
            "rows": rows,
            "query": query,
            "filtered": any(chosen.get(name) for name in ("category", "status", "street")),
        },
    )


def _team_panel_exists() -> bool:
    # The team helper's panel is optional: the page works without it.
    try:
        get_template(TEAM_PANEL)
    except TemplateDoesNotExist:
        return False
    return True


def _actions_context(request: HttpRequest, problem: Problem, access: Access) -> dict[str, Any]:
    """What the support and follow block needs: the count and this person's choices."""
    supported = following = False
    if request.user.is_authenticated:
        supported = is_supporting(problem, request.user)
        following = is_following(problem, request.user)
    return {
        "problem": problem,
        "neighbourhood": problem.neighbourhood,
        "access": access,
        "may_support": access.may_support(problem),
        "supported": supported,
        "following": following,
    }


@never_cache  # the team's page holds confidential details: never kept in a shared browser
@require_GET
def problem(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    found, access = problem_for(request, slug, pk)
    if access.team:
        confidential_access(request, [found])  # the page's confidential block
    team = team_panel_context(found, access)
    people = people_shown(found, access)
    timeline = problem_timeline(found, team=access.team)
    shows_photos = access.team or access.is_reporter or (found.is_public and not found.sensitive)
    reopen_form = None
    if (
        request.user.is_authenticated
        and Role.RESIDENT in access.roles
        and found.status in REOPENABLE
    ):
        reopen_form = ReopenRequestForm()
    return render(
        request,
        "problems/problem.html",
        {
            **_actions_context(request, found, access),
            **team,
            "timeline": list(timeline),
            "photos": list(found.photos.all()) if shows_photos else [],
            "reporter": people.get(found.reporter_id or 0),
            "entered_by": people.get(found.entered_by_id or 0),
            "signals": found.chronic_signals() if access.team else [],
            "reopen_form": reopen_form,
            "team_panel": (access.team or bool(team["moves"])) and _team_panel_exists(),
            # What the apps above problems show here (problems.problem_sections): its
            # approach and actions, the meetings at which it is or was on the agenda, and in
            # the team's block what residents answered after it was resolved.
            "sections": problem_sections(request, found, access),
            "team_sections": problem_team_sections(request, found, access),
        },
    )


def _answer(
    request: AuthenticatedHttpRequest, problem: Problem, access: Access, notice: str
) -> HttpResponse:
    """htmx: the updated support and follow block, in place. Without JS: back, with a note."""

    def in_place() -> HttpResponse:
        problem.refresh_from_db(fields=["support_count"])
        context = {**_actions_context(request, problem, access), "notice": notice}
        return render(request, "problems/problem.html#actions", context)

    def back() -> str:
        return local_next(request, problem.get_absolute_url())

    return partial_or_redirect(request, in_place, back, notice)


@login_required
@require_POST
def problem_support(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    found, access = problem_for(request, slug, pk)
    if not access.may_support(found):
        raise PermissionDenied
    if services.problem_support(problem=found, user=request.user):
        notice = _("Thank you. Your support is counted, and you now follow this problem.")
    else:
        notice = _("You had already said that you have this problem too.")
    return _answer(request, found, access, notice)


@login_required
@require_POST
def problem_support_withdraw(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    # Anyone may take back their own support, also once the problem is no longer open.
    found, access = problem_for(request, slug, pk)
    if services.problem_support_withdraw(problem=found, user=request.user):
        notice = _("Your support has been withdrawn.")
    else:
        notice = _("You did not support this problem.")
    return _answer(request, found, access, notice)


@login_required
@require_POST
def problem_follow(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    found, access = problem_for(request, slug, pk)
    services.problem_follow(problem=found, user=request.user)
    notice = _("You now follow this problem. We e-mail you when its status changes.")
    return _answer(request, found, access, notice)


@login_required
@require_POST
def problem_unfollow(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    found, access = problem_for(request, slug, pk)
    services.problem_unfollow(problem=found, user=request.user)
    return _answer(request, found, access, _("You no longer follow this problem."))


# The link in the status mails. Like the unsubscribe link: the signed link is the authority,
# so the POST needs no session and no CSRF token; it can only stop mail and never logs anyone
# in. GET only shows a confirmation page, so link scanners change nothing.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def problem_unfollow_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = read_action_link_token(token=token, purpose=UNFOLLOW)
    except LinkExpired:
        return render(request, "residents/link_problem.html", {"expired": True}, status=410)
    except LinkError:
        return render(request, "residents/link_problem.html", {"expired": False}, status=400)
    followed = link.obj
    assert isinstance(followed, Problem)
    if request.method == "POST":
        services.problem_unfollow(problem=followed, user=link.user)
        return render(request, "problems/link_unfollow.html", {"problem": followed, "done": True})
    following = is_following(followed, link.user)
    return render(
        request,
        "problems/link_unfollow.html",
        {"problem": followed, "done": False, "following": following},
    )


@never_cache
@login_required
@require_GET
def my_problems(request: AuthenticatedHttpRequest) -> HttpResponse:
    """One's own reports (any status, every neighbourhood) and what one supports or follows."""
    user = request.user
    reported = reported_by(user)
    # What one follows or supports and may still see: public problems (others' new reports
    # stay with the team).
    involved = involved_in(user)
    labels = _status_labels()
    for row in (*reported, *involved):
        row.status_label = labels[row.status]  # type: ignore[attr-defined]
    return render(
        request,
        "problems/my_problems.html",
        {"reported": reported, "involved": involved, "supported": supported_ids(user, involved)},
    )
