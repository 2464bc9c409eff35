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
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from buurtoverleg.http import AuthenticatedHttpRequest
from residents.account.forms import ProfileForm
from residents.links import (
    UNSUBSCRIBE,
    UNSUBSCRIBE_TOPIC,
    LinkError,
    LinkExpired,
    read_action_link_token,
)
from residents.mail_preferences import (
    mail_neighbourhoods,
    mail_preference_set,
    mail_preferences_all_off,
    mail_preferences_off_everywhere,
    preferences_of,
)
from residents.models import MailTopic, Neighbourhood, User
from residents.privacy import (
    membership_leave,
    user_delete_account,
    user_export_data,
    user_update_profile,
)
from residents.selectors import (
    membership_groups,
    neighbourhoods_not_covering,
    ongoing_memberships,
    ongoing_memberships_in,
)


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


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def my_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    hoods = mail_neighbourhoods(user)
    form = ProfileForm(
        request.POST or None,
        neighbourhoods=hoods,
        initial=ProfileForm.initial_for(user, hoods, preferences_of(user)),
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            changed = user_update_profile(user=user, **form.profile_data())
            for hood, topic, enabled in form.mail_choices():
                mail_preference_set(user=user, neighbourhood=hood, topic=topic, enabled=enabled)
        response = redirect("account:my_data")
        if "language" in changed:
            translation.activate(user.language)
            _set_language_cookie(response, user.language)
        messages.success(request, _("Your details have been saved."))
        if {"postcode", "house_number"} & set(changed):
            for hood in neighbourhoods_not_covering(user):
                messages.warning(
                    request,
                    _(
                        "Your new address is not in %(neighbourhood)s. If you have moved, "
                        "you can leave that neighbourhood below."
                    )
                    % {"neighbourhood": hood.name},
                )
        return response
    return render(
        request,
        "residents/my_data.html",
        {"form": form, "neighbourhood_groups": membership_groups(user)},
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
    memberships = ongoing_memberships_in(user, hood)
    if not memberships:
        raise Http404
    if request.method == "POST":
        membership_leave(user=user, neighbourhood=hood)
        messages.success(
            request, _("You have left %(neighbourhood)s.") % {"neighbourhood": hood.name}
        )
        return redirect("account:my_data")
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
    return render(
        request,
        "residents/account_delete.html",
        {"memberships": ongoing_memberships(user), "is_coordinator": user.coordinates.exists()},
    )


# RFC 8058 one-click unsubscribe: mail providers POST here with no cookies and no CSRF token.
# That is safe because the signed link is the authority and the POST can only turn mail off;
# it never logs anyone in. GET only shows a confirmation page, so link scanners change nothing.
# The pages speak the language of the person the link names, whoever opens them.

# What the first links (person-wide, still in old inboxes) turn off, in every neighbourhood.
OLD_LINK_TOPICS = (MailTopic.AGENDA, MailTopic.MINUTES, MailTopic.DIGEST)


def _link_problem(request: HttpRequest, exc: LinkError) -> HttpResponse:
    expired = isinstance(exc, LinkExpired)
    return render(
        request, "residents/link_problem.html", {"expired": expired}, status=410 if expired else 400
    )


def _in_their_language(
    request: HttpRequest, user: User, template: str, context: dict[str, Any]
) -> HttpResponse:
    language = user.language if user.language in dict(settings.LANGUAGES) else None
    with translation.override(language or settings.LANGUAGE_CODE):
        response = render(request, template, context)
        response["Content-Language"] = translation.get_language()
    return response


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The first, person-wide links: agenda, minutes and digest off everywhere."""
    try:
        link = read_action_link_token(token=token, purpose=UNSUBSCRIBE)
    except LinkError as exc:
        return _link_problem(request, exc)
    user = link.user
    labels = [MailTopic(topic).label for topic in OLD_LINK_TOPICS]
    context: dict[str, Any] = {"labels": labels, "neighbourhood": None, "token": token}
    if request.method == "POST":
        mail_preferences_off_everywhere(user=user, topics=OLD_LINK_TOPICS)
        return _in_their_language(request, user, "residents/link_unsubscribed.html", context)
    prefs = preferences_of(user)
    context["already_unsubscribed"] = bool(prefs) and all(
        prefs.get((hood.pk, topic)) is False
        for hood in mail_neighbourhoods(user)
        for topic in OLD_LINK_TOPICS
    )
    return _in_their_language(request, user, "residents/link_unsubscribe.html", context)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe_topic(request: HttpRequest, topic: str, token: str) -> HttpResponse:
    """One kind of mail from one neighbourhood off; the page offers all of that neighbourhood's
    mail too, and says where to turn it back on."""
    purpose = UNSUBSCRIBE_TOPIC.get(topic)
    if purpose is None:
        raise Http404
    try:
        link = read_action_link_token(token=token, purpose=purpose)
    except LinkError as exc:
        return _link_problem(request, exc)
    user, hood = link.user, link.obj
    if not isinstance(hood, Neighbourhood):  # the purpose binds it to one; never otherwise
        raise Http404
    everything = request.POST.get("scope") == "all"
    context: dict[str, Any] = {
        "labels": [MailTopic(topic).label],
        "neighbourhood": hood,
        "everything": everything,
    }
    if request.method == "POST":
        if everything:
            mail_preferences_all_off(user=user, neighbourhood=hood)
            context["labels"] = [label for _value, label in MailTopic.choices]
        else:
            mail_preference_set(user=user, neighbourhood=hood, topic=topic, enabled=False)
        return _in_their_language(request, user, "residents/link_unsubscribed.html", context)
    context["already_unsubscribed"] = preferences_of(user).get((hood.pk, topic)) is False
    return _in_their_language(request, user, "residents/link_unsubscribe.html", context)
