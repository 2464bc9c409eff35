from __future__ import annotations

from django.urls import include, path

from residents import views

urlpatterns = [
    path("buurt/<slug:slug>/", views.neighbourhood, name="neighbourhood"),
    path("buurt/<slug:slug>/aanmelden/", views.join, name="join"),
    path("", include("residents.member_urls")),
    path("", include("residents.account_urls")),
]
