from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Meetings")

    def ready(self) -> None:
        from meetings import (
            panel_views,  # noqa: F401 - registers the agenda screen's panels
            privacy,  # noqa: F401 - registers export and anonymiser
        )
