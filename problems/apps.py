from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    name = "problems"
    verbose_name = _("Problem register")

    def ready(self) -> None:
        from problems import (
            mail_kinds,
            privacy,  # noqa: F401 - registers export and anonymiser
            sections,  # noqa: F401 - registers the neighbourhood page's sections
            services,  # noqa: F401 - marks its public writes (public_pages)
        )

        mail_kinds.register()
