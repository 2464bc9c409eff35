from __future__ import annotations

from django.urls import include, path

from residents import views

# Every page of one neighbourhood lives under its slug; the other apps' URLs import this.
HOOD = "buurt/<slug:slug>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("privacy/", views.privacy, name="privacy"),
    path("toegankelijkheid/", views.accessibility, name="accessibility"),
    # Passwordless only: the login page is the "send me a code" page; joining happens
    # through a neighbourhood, which checks the address. Before allauth's own (buurtoverleg.urls).
    path("accounts/login/", views.login_by_code, name="account_login"),
    path("accounts/signup/", views.signup_elsewhere, name="account_signup"),
    path(HOOD, views.neighbourhood, name="neighbourhood"),
    path(f"{HOOD}aanmelden/", views.join, name="join"),
    path("", include("residents.members.urls")),
    path("", include("residents.account.urls")),
]
