"""A person's own data: preferences, export, leaving, deletion, and one-click unsubscribe.

Every view here acts on request.user only (or, for unsubscribe, on the person the signed link
names): nobody can reach another person's data through these URLs.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from buurtoverleg.http import AuthenticatedHttpRequest
from residents.account_forms import ProfileForm
from residents.links import UNSUBSCRIBE, LinkError, LinkExpired, read_action_link_token
from residents.models import Membership, Neighbourhood, Role, User
from residents.privacy import (
    membership_leave,
    user_delete_account,
    user_export_data,
    user_unsubscribe_mail,
    user_update_profile,
)
from residents.services import house_number_value

ONGOING = (Membership.Status.ACTIVE, Membership.Status.PENDING)


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    # As Django's set_language view does, so the site follows the new preference at once.
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def _neighbourhoods_not_covering(user: User) -> list[Neighbourhood]:
    """Neighbourhoods where the person is an active resident but their address is not."""
    if not user.postcode:
        return []
    hoods = Neighbourhood.objects.filter(
        memberships__user=user,
        memberships__role=Role.RESIDENT,
        memberships__status=Membership.Status.ACTIVE,
    ).prefetch_related("postcode_areas")
    number = house_number_value(user.house_number)
    return [hood for hood in hoods if not hood.covers(user.postcode, number)]


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def my_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(request.POST or None, initial=ProfileForm.initial_for(user))
    if request.method == "POST" and form.is_valid():
        changed = user_update_profile(user=user, **form.cleaned_data)
        response = redirect("my_data")
        if "language" in changed:
            translation.activate(user.language)
            _set_language_cookie(response, user.language)
        messages.success(request, _("Your details have been saved."))
        if {"postcode", "house_number"} & set(changed):
            for hood in _neighbourhoods_not_covering(user):
                messages.warning(
                    request,
                    _(
                        "Your new address is not in %(neighbourhood)s. If you have moved, "
                        "you can leave that neighbourhood below."
                    )
                    % {"neighbourhood": hood.name},
                )
        return response
    memberships = (
        Membership.objects.filter(user=user)
        .select_related("neighbourhood", "organisation")
        .order_by("neighbourhood__name", "role")
    )
    groups: dict[int, dict[str, Any]] = {}
    for membership in memberships:
        group = groups.setdefault(
            membership.neighbourhood_id,
            {"neighbourhood": membership.neighbourhood, "memberships": [], "can_leave": False},
        )
        group["memberships"].append(membership)
        group["can_leave"] = group["can_leave"] or membership.status in ONGOING
    return render(
        request,
        "residents/my_data.html",
        {"form": form, "neighbourhood_groups": list(groups.values())},
    )


@never_cache
@login_required
@require_GET
def my_data_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    data = user_export_data(user=request.user)
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    filename = f"buurtoverleg-mijn-gegevens-{timezone.localdate():%Y-%m-%d}.json"
    return HttpResponse(
        body,
        content_type="application/json; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def leave_neighbourhood(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    user = request.user
    hood = get_object_or_404(Neighbourhood, slug=slug)
    memberships = list(Membership.objects.filter(user=user, neighbourhood=hood, status__in=ONGOING))
    if not memberships:
        raise Http404
    if request.method == "POST":
        membership_leave(user=user, neighbourhood=hood)
        messages.success(
            request, _("You have left %(neighbourhood)s.") % {"neighbourhood": hood.name}
        )
        return redirect("my_data")
    return render(
        request,
        "residents/account_leave.html",
        {
            "neighbourhood": hood,
            "memberships": memberships,
            "retention_days": settings.RETENTION_DAYS_AFTER_LEAVING,
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        user_delete_account(user=user)
        logout(request)
        messages.success(request, _("Your account has been deleted. Thank you for taking part."))
        return redirect("home")
    memberships = (
        Membership.objects.filter(user=user, status__in=ONGOING)
        .select_related("neighbourhood")
        .order_by("neighbourhood__name", "role")
    )
    return render(
        request,
        "residents/account_delete.html",
        {"memberships": memberships, "is_coordinator": user.coordinates.exists()},
    )


# RFC 8058 one-click unsubscribe: mail providers POST here with no cookies and no CSRF token.
# That is safe because the signed link is the authority and the POST can only turn mail off;
# it never logs anyone in. GET only shows a confirmation page, so link scanners change nothing.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = read_action_link_token(token=token, purpose=UNSUBSCRIBE)
    except LinkExpired:
        return render(request, "residents/link_problem.html", {"expired": True}, status=410)
    except LinkError:
        return render(request, "residents/link_problem.html", {"expired": False}, status=400)
    user = link.user
    if request.method == "POST":
        user_unsubscribe_mail(user=user)
        return render(request, "residents/link_unsubscribed.html")
    return render(
        request,
        "residents/link_unsubscribe.html",
        {"already_unsubscribed": not (user.wants_agenda_mail or user.wants_digest)},
    )
