"""The kinds of mail, registered by the apps that send them.

An app declares its kinds as a TextChoices class and registers it in its AppConfig.ready(),
naming for each kind its template and, for a kind a person can turn off, the topic it falls
under (a topic is the residents' unit of choice on *Mijn gegevens*):

    class MeetingMail(models.TextChoices):
        AGENDA = "agenda", _("Agenda")

    register_kinds(
        MeetingMail,
        templates={MeetingMail.AGENDA: "emails/agenda"},
        topics={MeetingMail.AGENDA: MailTopic.AGENDA},
    )

A kind without a topic is duty mail: it carries no unsubscribe link and always goes. The
stored value of a kind never changes (Mailing.kind holds it).

The pipeline asks about people through one registered object (register_preferences): who
turned a topic off for a neighbourhood, and the link that turns it off. The residents app,
which keeps those choices, registers it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.db import models
from django.utils.functional import Promise


@dataclass(frozen=True)
class MailKind:
    value: str
    label: str | Promise
    template: str  # without extension: .subject, .txt and .html are rendered
    topic: str | None  # None: duty mail, which a person cannot turn off


KINDS: dict[str, MailKind] = {}


def register_kinds(
    choices: type[models.TextChoices],
    *,
    templates: Mapping[str, str],
    topics: Mapping[str, str] | None = None,
) -> None:
    """Register every kind of a TextChoices class. Each needs a template; `topics` names the
    kinds a person can turn off. Registering the same kind twice is a programming error."""
    topics = topics or {}
    for value, label in choices.choices:
        if value in KINDS:
            raise ValueError(f"the mail kind {value!r} is registered twice")
        if value not in templates:
            raise ValueError(f"the mail kind {value!r} has no template")
        KINDS[value] = MailKind(value, label, templates[value], topics.get(value))
    unknown = (set(templates) | set(topics)) - set(choices.values)
    if unknown:
        raise ValueError(f"templates or topics for unknown mail kinds: {sorted(unknown)}")


def kind(value: str) -> MailKind:
    try:
        return KINDS[value]
    except KeyError:
        raise ValueError(f"Unknown kind of mail {value!r}.") from None


def kind_choices() -> list[tuple[str, Any]]:
    """Mailing.kind's choices: every registered kind (a callable, so migrations stay still)."""
    return [(k.value, k.label) for k in KINDS.values()]


def topic_of(value: str) -> str | None:
    """The topic a person turns this kind off under, or None for duty mail."""
    registered = KINDS.get(value)
    return registered.topic if registered else None


class Preferences(Protocol):
    """What the pipeline asks about people; the residents app answers (register_preferences)."""

    def turned_off(
        self, *, user_ids: Iterable[int], neighbourhood_id: int, topic: str
    ) -> set[int]: ...

    def unsubscribe_url(
        self, *, user: Any, topic: str, neighbourhood: Any, expires_at: datetime
    ) -> str: ...


@dataclass(frozen=True)
class _Registered:
    turned_off: Callable[..., set[int]]
    unsubscribe_url: Callable[..., str]


_preferences: list[Preferences] = []


def register_preferences(
    *, turned_off: Callable[..., set[int]], unsubscribe_url: Callable[..., str]
) -> None:
    """Say who turned which topic off, and how a mail links to turning it off. Once."""
    _preferences[:] = [_Registered(turned_off=turned_off, unsubscribe_url=unsubscribe_url)]


def preferences() -> Preferences:
    if not _preferences:
        raise RuntimeError("No app registered mail preferences (residents does, in ready()).")
    return _preferences[0]
