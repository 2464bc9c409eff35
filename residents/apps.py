from __future__ import annotations

from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    name = "residents"
    verbose_name = _("Neighbourhoods and people")

    def ready(self) -> None:
        from allauth.mfa.signals import authenticator_added

        from residents.second_factor import record_activation

        authenticator_added.connect(record_activation, dispatch_uid="residents.totp_activated")

        from buurtoverleg.due import register_due_work
        from buurtoverleg.mail.kinds import register_preferences
        from residents import (
            links,
            mail_kinds,
            mail_preferences,
            privacy,  # noqa: F401 - marks its public writes (public_pages)
            services,  # noqa: F401 - marks its public writes (public_pages)
        )

        mail_kinds.register()
        register_preferences(
            turned_off=mail_preferences.turned_off, unsubscribe_url=links.unsubscribe_url
        )
        for name, function in (
            ("residents.purge_departed_members", "residents.privacy.purge_departed_members"),
            ("residents.purge_unconfirmed_signups", "residents.privacy.purge_unconfirmed_signups"),
        ):
            register_due_work(name, function, timedelta(days=1))
