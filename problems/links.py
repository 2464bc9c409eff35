"""The one-click "stop following this problem" link in the status mails.

Like the unsubscribe link (residents.links), it is signed, bound to one person and one
problem, expires, and never logs anyone in: the link itself is the authority to unfollow.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from problems.models import Problem
from residents.links import make_action_link_token, register_purpose
from residents.models import User

# Not single-use: mail programs and link scanners may open it more than once.
UNFOLLOW = register_purpose("unfollow", model="problems.Problem")
UNFOLLOW_VALID = timedelta(days=90)


def unfollow_url(user: User, problem: Problem) -> str:
    """The absolute URL that lets `user` stop following `problem` for the next 90 days."""
    token = make_action_link_token(
        user=user, purpose=UNFOLLOW, obj=problem, expires_at=timezone.now() + UNFOLLOW_VALID
    )
    return settings.SITE_URL + reverse("problem_unfollow_link", kwargs={"token": token})
