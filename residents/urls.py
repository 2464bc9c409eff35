from __future__ import annotations

from django.urls import include, path

from residents import views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("privacy/", views.privacy, name="privacy"),
    path("toegankelijkheid/", views.accessibility, name="accessibility"),
    # Passwordless only: the login page is the "send me a code" page; joining happens
    # through a neighbourhood, which checks the address. Before allauth's own (buurtoverleg.urls).
    path("accounts/login/", views.login_by_code, name="account_login"),
    path("accounts/signup/", views.signup_elsewhere, name="account_signup"),
    path("buurt/<slug:slug>/", views.neighbourhood, name="neighbourhood"),
    path("buurt/<slug:slug>/aanmelden/", views.join, name="join"),
    path("", include("residents.members.urls")),
    path("", include("residents.account.urls")),
]
