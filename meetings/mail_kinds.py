"""The mail about meetings, registered with the mail platform in MeetingsConfig.ready().

All of it can be turned off per neighbourhood (residents.MailTopic). A moved or cancelled
meeting is agenda news: it also reaches whoever said they would come, unless they turned the
agenda off for that neighbourhood (a "no" is never overruled).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from residents.models import MailTopic


class MeetingMail(models.TextChoices):
    MEETING_MOVED = "meeting_moved", _("Meeting moved")
    MEETING_CANCELLED = "meeting_cancelled", _("Meeting cancelled")
    AGENDA = "agenda", _("Agenda")
    MEETING_REMINDER = "meeting_reminder", _("Meeting tomorrow")
    MINUTES = "minutes", _("Minutes")
    DIGEST = "digest", _("Progress digest")


def register() -> None:
    from buurtoverleg.mail.kinds import register_kinds

    register_kinds(
        MeetingMail,
        templates={k: f"emails/{k}" for k in MeetingMail.values},
        topics={
            MeetingMail.AGENDA: MailTopic.AGENDA,
            MeetingMail.MEETING_MOVED: MailTopic.AGENDA,
            MeetingMail.MEETING_CANCELLED: MailTopic.AGENDA,
            MeetingMail.MEETING_REMINDER: MailTopic.MEETING_REMINDER,
            MeetingMail.MINUTES: MailTopic.MINUTES,
            MeetingMail.DIGEST: MailTopic.DIGEST,
        },
    )
