"""The mail the residents app sends, registered with the mail platform in ResidentsConfig.ready().

Both are duty mail (no topic): a person cannot turn them off.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ResidentMail(models.TextChoices):
    MEMBERSHIP_APPROVED = "membership_approved", _("Application approved")
    INVITATION = "invitation", _("Invitation")


def register() -> None:
    from buurtoverleg.mail.kinds import register_kinds

    register_kinds(ResidentMail, templates={k: f"emails/{k}" for k in ResidentMail.values})
