from __future__ import annotations

from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "buurtoverleg.mail"
    label = "mail"
    verbose_name = _("Outgoing mail")

    def ready(self) -> None:
        from buurtoverleg.due import register_due_work

        register_due_work(
            "mail.sweep",
            "buurtoverleg.mail.pipeline.deliveries_requeue_stale",
            timedelta(minutes=1),
        )
