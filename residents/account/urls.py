from __future__ import annotations

from django.urls import path

from residents.account import views

app_name = "account"

urlpatterns = [
    path("mijn-gegevens/", views.my_data, name="my_data"),
    path("mijn-gegevens/download/", views.my_data_export, name="my_data_export"),
    path(
        "mijn-gegevens/buurt/<slug:slug>/verlaten/",
        views.leave_neighbourhood,
        name="leave_neighbourhood",
    ),
    path("mijn-gegevens/account-verwijderen/", views.delete_account, name="delete_account"),
    path("mail-afmelden/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path(
        "mail-afmelden/<slug:topic>/<str:token>/",
        views.unsubscribe_topic,
        name="unsubscribe_topic",
    ),
]
