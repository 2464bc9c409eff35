from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import include, path, re_path

# The admin logs in through allauth too: e-mailed code plus the second factor.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]


def not_offered(_request: HttpRequest, *_args: object, **_kwargs: object) -> HttpResponse:
    """An allauth flow this app does not offer: nobody has a password, so every password page
    (reset, change, set, the link from a reset mail) and confirming it is you by password
    answer 404. Their URL names stay, so allauth's own code can still reverse them."""
    raise Http404


# The admin's pages follow a model's app label: the mail ledger and the due-work table moved out
# of the meetings app, priority rounds and actions out of problems into meetings. Old bookmarks
# land on the new pages.
MOVED_TO = {
    "meetings": {
        "mailing": "mail",
        "delivery": "mail",
        "mailsuppression": "mail",
        "mailsuppressionlift": "mail",
        "dueworkrun": "buurtoverleg",
    },
    "problems": dict.fromkeys(
        (
            "priorityround",
            "roundcandidate",
            "ballot",
            "ballotpoint",
            "handcount",
            "analysis",
            "action",
            "actionupdate",
            "volunteer",
            "judgement",
            "surveyanswer",
        ),
        "meetings",
    ),
}


def moved_admin_page(request: HttpRequest, app: str, model: str, rest: str) -> HttpResponse:
    query = request.META.get("QUERY_STRING", "")
    target = f"/beheer/{MOVED_TO[app][model]}/{model}/{rest}" + (f"?{query}" if query else "")
    return HttpResponsePermanentRedirect(target)


MOVED_ADMIN_PAGES = [
    re_path(
        rf"^beheer/(?P<app>{app})/(?P<model>{'|'.join(models)})/(?P<rest>.*)$",
        moved_admin_page,
    )
    for app, models in MOVED_TO.items()
]


# The project package imports no app: each app's URLs are included by name. The residents'
# come first: they hold the site-wide pages, among them the login page that replaces allauth's.
urlpatterns = [
    path("", include("residents.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    re_path(r"^accounts/password/", not_offered),
    path("accounts/reauthenticate/", not_offered),  # by password; by code stays
    path("accounts/", include("allauth.urls")),
    *MOVED_ADMIN_PAGES,
    path("beheer/", admin.site.urls),
    path("", include("meetings.urls")),
    path("", include("problems.urls")),
]

# Error pages in the site's layout and the visitor's language (buurtoverleg/errors.py).
handler400 = "buurtoverleg.errors.bad_request"
handler403 = "buurtoverleg.errors.permission_denied"
handler404 = "buurtoverleg.errors.page_not_found"
handler500 = "buurtoverleg.errors.server_error"
