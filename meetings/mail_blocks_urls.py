"""Blocked member addresses and lifting a block (views in meetings.mail_blocks_views)."""

from __future__ import annotations

from django.urls import path

from meetings import mail_blocks_views as views

urlpatterns = [
    path("buurt/<slug:slug>/e-mails/geblokkeerd/", views.mail_blocks, name="mail_blocks"),
    path(
        "buurt/<slug:slug>/e-mails/geblokkeerd/<int:pk>/opheffen/",
        views.mail_block_lift,
        name="mail_block_lift",
    ),
]
