"""URLs of the chair's mail pages: the mailings with their progress and retry, and the blocked
member addresses with lifting a block."""

from __future__ import annotations

from django.urls import path

from meetings.mailings import views
from residents.urls import HOOD

MAILS = f"{HOOD}e-mails/"

app_name = "mailings"

urlpatterns = [
    path(MAILS, views.mailings, name="mailings"),
    path(f"{MAILS}<int:pk>/", views.mailing, name="mailing"),
    path(f"{MAILS}<int:pk>/voortgang/", views.mailing_progress, name="mailing_progress"),
    path(f"{MAILS}<int:pk>/opnieuw/", views.mailing_retry, name="mailing_retry"),
    path(f"{MAILS}geblokkeerd/", views.mail_blocks, name="mail_blocks"),
    path(f"{MAILS}geblokkeerd/<int:pk>/opheffen/", views.mail_block_lift, name="mail_block_lift"),
]
