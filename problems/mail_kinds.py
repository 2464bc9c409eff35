"""The mail the problem register sends, registered with the mail platform in
ProblemsConfig.ready(). News about a followed problem and the "has it got better?" question
can be turned off (residents.MailTopic); reminders to an action's owner and the note to the
chair about a worse answer are duty mail."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from residents.models import MailTopic


class ProblemMail(models.TextChoices):
    PROBLEM_STATUS = "problem_status", _("Problem status changed")
    ACTION_REMINDER = "action_reminder", _("Action due soon")
    ACTION_OVERDUE = "action_overdue", _("Action overdue")
    PROBLEM_SURVEY = "problem_survey", _("Has it got better?")
    SURVEY_WORSE = "survey_worse", _("A resident says it got worse")


def register() -> None:
    from buurtoverleg.mail.kinds import register_kinds
    from buurtoverleg.mail.pipeline import context_for
    from problems.status_mail import status_mail_context

    register_kinds(
        ProblemMail,
        templates={k: f"emails/{k}" for k in ProblemMail.values},
        topics={
            ProblemMail.PROBLEM_STATUS: MailTopic.PROBLEM_STATUS,
            ProblemMail.PROBLEM_SURVEY: MailTopic.SURVEY,
        },
    )
    # What the status mail says about the change, read once per sending run.
    context_for(ProblemMail.PROBLEM_STATUS)(status_mail_context)
