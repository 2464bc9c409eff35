from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from allauth.account.views import SignupView
from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from buurtoverleg.cache import ResilientRedisCache
from buurtoverleg.celery import app as celery_app
from buurtoverleg.forms import add_service_errors
from buurtoverleg.http import AuthenticatedHttpRequest
from residents.forms import JoinForm, JoinSignupForm
from residents.models import Membership, Neighbourhood
from residents.permissions import roles_in
from residents.sections import neighbourhood_sections
from residents.selectors import (
    current_memberships,
    memberships_in,
    municipalities_with_neighbourhoods,
    neighbourhood_or_404,
    resident_membership,
)
from residents.services import membership_apply


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "residents/home.html",
        {
            "municipalities": municipalities_with_neighbourhoods(),
            "mine": current_memberships(request.user),
        },
    )


@require_GET
def neighbourhood(request: HttpRequest, slug: str) -> HttpResponse:
    hood = neighbourhood_or_404(slug)
    team = list(hood.memberships.team())
    own = memberships_in(request.user, hood)
    return render(
        request,
        "residents/neighbourhood.html",
        {
            "neighbourhood": hood,
            "team": team,
            "own_memberships": own,
            "roles": roles_in(request.user, hood),
            "is_member": any(m.status == Membership.Status.ACTIVE for m in own),
            "is_pending": any(m.status == Membership.Status.PENDING for m in own),
            # What the apps above residents show here (residents.sections): the next meeting,
            # the minutes, the priorities and the register.
            "sections": neighbourhood_sections(request, hood),
        },
    )


class JoinView(SignupView):
    """Join a neighbourhood. Without an account this is allauth's signup, with the address."""

    template_name = "residents/join.html"
    form_class = JoinSignupForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.neighbourhood = get_object_or_404(Neighbourhood, slug=kwargs["slug"])
        if request.user.is_authenticated:
            return join_logged_in(request, self.neighbourhood)  # type: ignore[arg-type]
        return super().dispatch(request, *args, **kwargs)

    def get_form_class(self) -> type[JoinSignupForm]:
        return JoinSignupForm

    def get_initial(self) -> dict[str, Any]:
        # Links in invitation mails and QR codes on the printed sheet carry the code.
        return {**super().get_initial(), "invite_code": self.request.GET.get("code", "")}

    def get_default_success_url(self) -> str:
        # After confirming the e-mail code, land on the neighbourhood just joined.
        return self.neighbourhood.get_absolute_url()

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["neighbourhood"] = self.neighbourhood
        return kwargs

    def form_valid(self, form: JoinSignupForm) -> HttpResponse:
        try:
            return super().form_valid(form)
        except ValidationError as error:
            # membership_apply refused the invite code; the form's try_save kept no account.
            add_service_errors(form, error)
            return self.form_invalid(form)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["neighbourhood"] = self.neighbourhood
        return context


join = never_cache(JoinView.as_view())


def join_logged_in(request: AuthenticatedHttpRequest, hood: Neighbourhood) -> HttpResponse:
    existing = resident_membership(request.user, hood)
    if existing and existing.status in {Membership.Status.ACTIVE, Membership.Status.PENDING}:
        return redirect(hood)
    initial = {
        "postcode": request.user.postcode,
        "house_number": request.user.house_number,
        "invite_code": request.GET.get("code", ""),
    }
    form = JoinForm(request.POST or None, neighbourhood=hood, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            membership = membership_apply(
                user=request.user,
                neighbourhood=hood,
                postcode=form.cleaned_data["postcode"],
                house_number=form.cleaned_data["house_number"],
                invite_code=form.cleaned_data["invite_code"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if membership.status == Membership.Status.ACTIVE:
                messages.success(request, _("Welcome to %(name)s!") % {"name": hood.name})
            else:
                messages.success(
                    request, _("Thank you. The chair will look at your application soon.")
                )
            return redirect(hood)
    return render(
        request, "residents/join.html", {"form": form, "neighbourhood": hood, "logged_in": True}
    )


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "residents/privacy.html",
        {
            "retention_days": settings.RETENTION_DAYS_AFTER_LEAVING,
            "unconfirmed_days": settings.UNCONFIRMED_SIGNUP_DAYS,
            "privacy_controller": settings.PRIVACY_CONTROLLER,
            "privacy_contact_email": settings.PRIVACY_CONTACT_EMAIL,
        },
    )


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "residents/accessibility.html",
        {"accessibility_contact_email": settings.ACCESSIBILITY_CONTACT_EMAIL},
    )


# Checks of the services beside the database run in these threads, so /health/ answers within
# HEALTH_BUDGET_SECONDS whatever a library's retries do; a check not done by then is "unavailable".
_health_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="health")
HEALTH_BUDGET_SECONDS = 0.8


def _cache_state() -> str:
    default = caches["default"]
    if not isinstance(default, ResilientRedisCache):
        return "not configured"
    return "ok" if default.redis_available() else "unavailable"


def _broker_state() -> str:
    if celery_app.conf.task_always_eager:
        return "not configured"
    try:
        with celery_app.connection_for_write() as conn:
            # Two quick tries, no pause: each is bounded by the 0.5 s socket timeouts.
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, interval_max=0)
    except Exception:  # whatever the broker does, it is unavailable
        return "unavailable"
    return "ok"


@never_cache
@require_GET
def health(_request: HttpRequest) -> JsonResponse:
    """Whether the database, the cache and the broker answer, within one second.

    Only the database is vital: without Redis the site degrades (buurtoverleg.cache) but
    serves, so that answers 200 "degraded" and a load balancer keeps sending visitors; a
    database that does not answer is 503. States are words, never exception names.
    """
    deadline = time.monotonic() + HEALTH_BUDGET_SECONDS
    futures = {
        "cache": _health_pool.submit(_cache_state),
        "broker": _health_pool.submit(_broker_state),
    }
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # any failure means unhealthy
        checks["database"] = "unavailable"
    for name, future in futures.items():
        try:
            checks[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except Exception:  # a check that did not finish in time
            checks[name] = "unavailable"
    if checks["database"] != "ok":
        status, code = "error", 503
    elif "unavailable" in checks.values():
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return JsonResponse({"status": status, "checks": checks}, status=code)


def signup_elsewhere(request: HttpRequest) -> HttpResponse:
    """People join through a neighbourhood's page, which checks their address."""
    messages.info(request, _("Choose your neighbourhood to join it."))
    return redirect("home")


def login_by_code(request: HttpRequest) -> HttpResponse:
    """Residents have no password: logging in always means asking for an e-mailed code."""
    target = reverse("account_request_login_code")
    if request.GET:
        target += "?" + request.GET.urlencode()
    return redirect(target)
