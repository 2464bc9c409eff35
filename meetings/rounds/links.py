"""The personal ballot link in the agenda mail: "vote in this round", on a phone, without
logging in.

Like every action link (residents.links) it is signed, bound to one person and one round, and
never logs anyone in: the page it opens acts for that person in that round only. It is not
single-use: a resident may change their ballot until the round closes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse

from meetings.rounds.models import PriorityRound
from residents.links import make_action_link_token, register_purpose, usable_expiry
from residents.models import User

# Rounds lived in the problems app when the first ballot links were mailed: they keep its label.
BALLOT = register_purpose(
    "ballot",
    model="meetings.PriorityRound",
    signed_label="problems.priorityround",
)
# Without a closing time the round closes in the room: the link works until the day after.
AFTER_MEETING = timedelta(days=1)
# A link made for a round that is past its closing time still opens a page (which says that
# voting is closed) rather than failing the mail it is in.
AT_LEAST = timedelta(days=1)


def ballot_link_expires_at(
    priority_round: PriorityRound, *, now: datetime | None = None
) -> datetime:
    """When the link stops working: the round's closing time, else a day after the meeting."""
    expires_at = priority_round.closes_at or priority_round.meeting.ends_at + AFTER_MEETING
    return usable_expiry(expires_at, now=now, at_least=AT_LEAST)


def ballot_link_token(*, priority_round: PriorityRound, user: User) -> str:
    return make_action_link_token(
        user=user,
        purpose=BALLOT,
        obj=priority_round,
        expires_at=ballot_link_expires_at(priority_round),
    )


def ballot_link_url(*, priority_round: PriorityRound, user: User) -> str:
    """The absolute URL of `user`'s ballot in `round`, valid until the round closes."""
    token = ballot_link_token(priority_round=priority_round, user=user)
    return settings.SITE_URL + reverse("rounds:ballot_link", kwargs={"token": token})
