"""Which mail a person wants, per neighbourhood and kind (MailTopic): reads and writes.

The one rule: a row says yes or no; without a row a topic is on, except the day-before
reminder (see TOPICS_ON_BY_DEFAULT). The mail pipeline drops everyone who said no when it
records a mailing and again when it sends, so a click on "unsubscribe" also stops a mailing
that was already on its way.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from residents.models import (
    TOPICS_ON_BY_DEFAULT,
    MailPreference,
    MailTopic,
    Membership,
    Neighbourhood,
    User,
)


def wants(topic: str, neighbourhood: Neighbourhood | int | OuterRef) -> Q:
    """A filter on User: people who want `topic` from `neighbourhood` (the default applied)."""
    rows = MailPreference.objects.filter(
        user=OuterRef("pk"), neighbourhood=neighbourhood, topic=topic
    )
    if topic in TOPICS_ON_BY_DEFAULT:
        return ~Q(Exists(rows.filter(enabled=False)))
    return Q(Exists(rows.filter(enabled=True)))


def said_no(topic: str, neighbourhood: Neighbourhood | int | OuterRef) -> Q:
    """A filter on User: people who turned `topic` off for `neighbourhood` (a row saying no)."""
    return Q(
        Exists(
            MailPreference.objects.filter(
                user=OuterRef("pk"), neighbourhood=neighbourhood, topic=topic, enabled=False
            )
        )
    )


def turned_off(*, user_ids: Iterable[int], neighbourhood_id: int, topic: str) -> set[int]:
    """Of these people, those who turned `topic` off for this neighbourhood (one query)."""
    ids = [pk for pk in user_ids if pk is not None]
    if not ids:
        return set()
    return set(
        MailPreference.objects.filter(
            user_id__in=ids, neighbourhood_id=neighbourhood_id, topic=topic, enabled=False
        ).values_list("user_id", flat=True)
    )


def preferences_of(user: User) -> dict[tuple[int, str], bool]:
    """Every row the person has: (neighbourhood id, topic) -> yes or no."""
    return {
        (nid, topic): enabled
        for nid, topic, enabled in MailPreference.objects.filter(user=user).values_list(
            "neighbourhood_id", "topic", "enabled"
        )
    }


def mail_neighbourhoods(user: User) -> list[Neighbourhood]:
    """The neighbourhoods that may mail this person: where they are an active member."""
    return list(
        Neighbourhood.objects.filter(
            Exists(Membership.objects.active().filter(user=user, neighbourhood=OuterRef("pk")))
        ).order_by("name")
    )


@transaction.atomic
def mail_preference_set(
    *, user: User, neighbourhood: Neighbourhood | int, topic: str, enabled: bool | None
) -> bool:
    """Say yes or no to one kind of mail from one neighbourhood; None goes back to the default.

    Returns whether anything changed. Safe to repeat (mail programs may POST twice).
    """
    if topic not in MailTopic.values:
        raise ValueError(f"Unknown kind of mail {topic!r}.")
    nid = neighbourhood if isinstance(neighbourhood, int) else neighbourhood.pk
    rows = MailPreference.objects.filter(user=user, neighbourhood_id=nid, topic=topic)
    if enabled is None:
        deleted, _ = rows.delete()
        return bool(deleted)
    changed = rows.exclude(enabled=enabled).update(enabled=enabled, changed_at=timezone.now())
    if changed:
        return True
    _row, created = MailPreference.objects.get_or_create(
        user=user, neighbourhood_id=nid, topic=topic, defaults={"enabled": enabled}
    )
    return created


@transaction.atomic
def mail_preferences_all_off(*, user: User, neighbourhood: Neighbourhood | int) -> None:
    """No more optional mail from this neighbourhood, of any kind."""
    for topic in MailTopic.values:
        mail_preference_set(user=user, neighbourhood=neighbourhood, topic=topic, enabled=False)


@transaction.atomic
def mail_preferences_off_everywhere(*, user: User, topics: Iterable[str]) -> None:
    """These kinds off in every neighbourhood the person belongs to (the old unsubscribe link,
    and anonymising an account)."""
    hoods = set(Membership.objects.filter(user=user).values_list("neighbourhood_id", flat=True))
    for nid in sorted(hoods):
        for topic in topics:
            mail_preference_set(user=user, neighbourhood=nid, topic=topic, enabled=False)
