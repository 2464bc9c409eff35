from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BuurtoverlegConfig(AppConfig):
    """The platform every app builds on: due work (this app's one model), mail (its own app,
    buurtoverleg.mail), PDFs, QR codes, errors and caches. It imports no app."""

    name = "buurtoverleg"
    verbose_name = _("Platform")
