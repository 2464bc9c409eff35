from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "residents"
    verbose_name = _("Neighbourhoods and people")

    def ready(self) -> None:
        from allauth.mfa.signals import authenticator_added

        from residents.second_factor import record_activation

        authenticator_added.connect(record_activation, dispatch_uid="residents.totp_activated")
