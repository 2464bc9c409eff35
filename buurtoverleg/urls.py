from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import include, path, re_path

from residents import views as resident_views

# The admin logs in through allauth too: e-mailed code plus the second factor.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]


def not_offered(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    """An allauth flow this app does not offer: nobody has a password, so every password page
    (reset, change, set, the link from a reset mail) and confirming it is you by password
    answer 404. Their URL names stay, so allauth's own code can still reverse them."""
    raise Http404


urlpatterns = [
    path("", resident_views.home, name="home"),
    path("health/", resident_views.health, name="health"),
    path("privacy/", resident_views.privacy, name="privacy"),
    path("toegankelijkheid/", resident_views.accessibility, name="accessibility"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Passwordless only: the login page is the "send me a code" page; joining happens
    # through a neighbourhood, which checks the address.
    path("accounts/login/", resident_views.login_by_code, name="account_login"),
    path("accounts/signup/", resident_views.signup_elsewhere, name="account_signup"),
    re_path(r"^accounts/password/", not_offered),
    path("accounts/reauthenticate/", not_offered),  # by password; by code stays
    path("accounts/", include("allauth.urls")),
    path("beheer/", admin.site.urls),
    path("", include("residents.urls")),
    path("", include("meetings.urls")),
    path("", include("problems.urls")),
]

# Error pages in the site's layout and the visitor's language (buurtoverleg/errors.py).
handler400 = "buurtoverleg.errors.bad_request"
handler403 = "buurtoverleg.errors.permission_denied"
handler404 = "buurtoverleg.errors.page_not_found"
handler500 = "buurtoverleg.errors.server_error"
