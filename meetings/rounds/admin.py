"""The admin pages of priority rounds (registered by meetings/admin.py)."""

from __future__ import annotations

from django.contrib import admin

from meetings.rounds.models import Ballot, BallotPoint, HandCount, PriorityRound, RoundCandidate
from problems.admin import ReadOnlyAdmin


# Votes are changed only through the ballot pages and the round's services (budget, open round,
# one ballot per resident): the admin shows them and changes nothing.
@admin.register(PriorityRound)
class PriorityRoundAdmin(ReadOnlyAdmin):
    list_display = ("meeting", "neighbourhood", "status", "points", "max_per_problem", "closed_at")
    list_filter = ("status",)
    list_select_related = ("meeting", "neighbourhood")


@admin.register(RoundCandidate)
class RoundCandidateAdmin(ReadOnlyAdmin):
    list_display = ("round", "problem", "position", "outcome", "chosen_in_room")
    list_select_related = ("problem__category",)


@admin.register(Ballot)
class BallotAdmin(ReadOnlyAdmin):
    list_display = ("round", "voter", "source", "updated_at")
    list_filter = ("source",)
    list_select_related = ("voter",)


@admin.register(BallotPoint)
class BallotPointAdmin(ReadOnlyAdmin):
    list_display = ("ballot", "candidate", "points")


@admin.register(HandCount)
class HandCountAdmin(ReadOnlyAdmin):
    list_display = ("candidate", "hands", "entered_by", "entered_at")
