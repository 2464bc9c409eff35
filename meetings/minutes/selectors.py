"""Reads of the minutes: a meeting's minutes and their versions. Each is one query; no
writes."""

from __future__ import annotations

from meetings.minutes.models import Minutes, MinutesVersion
from meetings.planning.models import Meeting


def minutes_of(meeting: Meeting) -> Minutes | None:
    """The meeting's minutes, sharing `meeting`, or None before they are drafted (one
    query)."""
    minutes = Minutes.objects.filter(meeting=meeting).first()
    if minutes is not None:
        minutes.meeting = meeting
    return minutes


def minutes_exist(meeting: Meeting) -> bool:
    """Whether the meeting's minutes have been drafted (one query)."""
    return Minutes.objects.filter(meeting=meeting).exists()


def minutes_versions(minutes: Minutes, *, published_only: bool = False) -> list[MinutesVersion]:
    """The versions of the minutes, the latest first, sharing `minutes`; with
    `published_only` only the published ones (one query)."""
    listed = minutes.versions.order_by("-number")
    if published_only:
        listed = listed.filter(published_at__isnull=False)
    versions = list(listed)
    for version in versions:
        version.minutes = minutes
    return versions


def minutes_latest_version(minutes: Minutes) -> MinutesVersion | None:
    """The latest version of the minutes, if any (one query)."""
    return minutes.versions.order_by("-number").first()
