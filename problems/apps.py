from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    name = "problems"
    verbose_name = _("Problem register")

    def ready(self) -> None:
        from problems import (
            action_panels,  # noqa: F401 - registers the Aanpak and Terugkoppeling panels
            privacy,  # noqa: F401 - registers export and anonymiser
            round_panels,  # noqa: F401 - registers the vote panel of the agenda screen
        )
