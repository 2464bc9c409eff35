"""Scoped action links: "vote in this round", "unsubscribe from this list".

Unlike a login code, an action link lives in an e-mail that is read days later. It is signed
(django.core.signing, one salt per purpose), bound to one person and one object, expires at a
time the caller chooses (the round's closing time, a month), and NEVER logs anyone in: reading
one gives the view a person and an object to act on, and touches no session.

Every link carries the person's `link_key`; rotating it (when the account is deleted or
anonymised, or on request) revokes all their links at once. A link made for one purpose is
refused for any other. A link works as often as it is opened until it expires.

Register a purpose once, at import time of the module that uses it:

    BALLOT = register_purpose("ballot", model="meetings.PriorityRound")
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from residents.models import MailTopic, Neighbourhood, User, new_link_key

# Links are for mails about one meeting cycle; nothing should be valid for longer than this.
MAX_LIFETIME = timedelta(days=400)
# Longer than any link we make; anything longer is not one of ours.
MAX_TOKEN_LENGTH = 600
SALT_PREFIX = "buurtoverleg.action-link"


class LinkError(Exception):
    """Base class: the link cannot be used. `reason` is for logs, never shown to people."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


class LinkInvalid(LinkError):
    """Tampered with, made for another purpose or object, revoked, or its person is gone."""


class LinkExpired(LinkError):
    """Genuine, but past the expiry its maker gave it."""


@dataclass(frozen=True)
class Purpose:
    name: str
    model: str  # "app_label.ModelName" of the object the link is bound to
    # What links carry as their object's label when it is not `model`: a model that moved to
    # another app keeps its old label in links, so the links already mailed stay valid.
    signed_label: str = ""

    @property
    def model_label(self) -> str:
        return self.signed_label or self.model.lower()

    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)


PURPOSES: dict[str, Purpose] = {}


def register_purpose(name: str, *, model: str, signed_label: str = "") -> Purpose:
    """Declare a kind of link. Registering the same purpose twice must describe it the same."""
    purpose = Purpose(name=name, model=model, signed_label=signed_label)
    existing = PURPOSES.get(name)
    if existing is not None and existing != purpose:
        raise ValueError(f"Action link purpose {name!r} is already registered as {existing}.")
    PURPOSES[name] = purpose
    return purpose


def get_purpose(name: str | Purpose) -> Purpose:
    if isinstance(name, Purpose):
        name = name.name
    try:
        return PURPOSES[name]
    except KeyError:
        raise ValueError(f"Unknown action link purpose {name!r}.") from None


@dataclass(frozen=True)
class ActionLink:
    """What a valid link allows: `user` may do `purpose` on `obj` until `expires_at`."""

    user: User
    obj: models.Model
    purpose: Purpose
    expires_at: datetime
    token: str


def _signer(purpose: Purpose) -> signing.Signer:
    # One salt per purpose: a signature made for one purpose never verifies for another.
    return signing.Signer(salt=f"{SALT_PREFIX}.{purpose.name}")


def usable_expiry(
    expires_at: datetime, *, now: datetime | None = None, at_least: timedelta = timedelta(days=1)
) -> datetime:
    """An expiry a link in a mail can carry: at least `at_least` ahead (a mail sent late still
    opens a page that explains), and within MAX_LIFETIME."""
    now = now or timezone.now()
    return min(max(expires_at, now + at_least), now + MAX_LIFETIME - timedelta(minutes=1))


def make_action_link_token(
    *, user: User, purpose: str | Purpose, obj: models.Model, expires_at: datetime
) -> str:
    """A URL-safe token that lets `user` do `purpose` on `obj` until `expires_at`."""
    spec = get_purpose(purpose)
    if obj._meta.label_lower != spec.model.lower():
        raise TypeError(f"A {spec.name!r} link is bound to a {spec.model}, not {obj._meta.label}.")
    if user.pk is None or obj.pk is None:
        raise ValueError("Action links are for saved people and objects.")
    if timezone.is_naive(expires_at):
        raise ValueError("expires_at must be timezone-aware.")
    now = timezone.now()
    if expires_at <= now:
        raise ValueError("expires_at lies in the past: the link would never work.")
    if expires_at - now > MAX_LIFETIME:
        raise ValueError(f"Action links may live at most {MAX_LIFETIME.days} days.")
    payload = {
        "u": user.pk,
        "k": user.link_key,
        "m": spec.model_label,
        "o": obj.pk if isinstance(obj.pk, int) else str(obj.pk),
        "e": int(expires_at.timestamp()),  # rounded down: never later than asked
    }
    return _signer(spec).sign_object(payload)


def _payload(token: str, spec: Purpose) -> dict[str, Any]:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkInvalid("malformed")
    try:
        payload = _signer(spec).unsign_object(token)
    except signing.BadSignature:
        raise LinkInvalid("bad signature (tampered, or made for another purpose)") from None
    except (ValueError, TypeError):  # pragma: no cover - only a correctly signed token gets here
        raise LinkInvalid("undecodable") from None
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("u"), int)
        or not isinstance(payload.get("k"), str)
        or not isinstance(payload.get("m"), str)
        or not isinstance(payload.get("o"), int | str)
        or not isinstance(payload.get("e"), int)
    ):
        raise LinkInvalid("unexpected payload")
    return payload


def read_action_link_token(
    *, token: str, purpose: str | Purpose, obj: models.Model | None = None
) -> ActionLink:
    """Check a token and return what it allows. Pass `obj` when the URL names the object too.

    Raises LinkInvalid or LinkExpired. Never logs anyone in and never writes.
    """
    spec = get_purpose(purpose)
    payload = _payload(token, spec)
    if payload["m"] != spec.model_label:
        raise LinkInvalid("bound to another kind of object")
    expires_at = datetime.fromtimestamp(payload["e"], tz=UTC)
    if timezone.now() >= expires_at:
        raise LinkExpired("expired")
    user = User.objects.filter(pk=payload["u"], is_active=True, anonymised_at__isnull=True).first()
    if user is None:
        raise LinkInvalid("person unknown, deactivated or anonymised")
    if not constant_time_compare(user.link_key, payload["k"]):
        raise LinkInvalid("revoked (link key rotated)")
    model = spec.model_class()
    target: models.Model | None
    if model is User and payload["o"] == user.pk:
        target = user
    else:
        target = model._default_manager.filter(pk=payload["o"]).first()
    if target is None:
        raise LinkInvalid("object no longer exists")
    if obj is not None and (obj._meta.label_lower != spec.model.lower() or obj.pk != target.pk):
        raise LinkInvalid("made for another object")
    return ActionLink(user=user, obj=target, purpose=spec, expires_at=expires_at, token=token)


@transaction.atomic
def user_revoke_action_links(*, user: User) -> None:
    """Make every action link the person was ever sent stop working."""
    user.link_key = new_link_key()
    user.save(update_fields=["link_key"])


# --- Unsubscribe: used by every mail to residents (List-Unsubscribe, RFC 2369 and 8058). ---

# Mail providers may send the one-click POST more than once: that must stay harmless.
# The first links named only the person and turned off the agenda, the minutes and the digest
# everywhere; links of that kind still in inboxes keep doing exactly that.
UNSUBSCRIBE = register_purpose("unsubscribe", model=settings.AUTH_USER_MODEL)
# Since then a link turns off one kind of mail (the purpose) from one neighbourhood (the object).
UNSUBSCRIBE_TOPIC = {
    topic: register_purpose(f"unsubscribe-{topic}", model="residents.Neighbourhood")
    for topic in MailTopic.values
}


def unsubscribe_url(
    *,
    user: User,
    expires_at: datetime,
    topic: str | None = None,
    neighbourhood: Neighbourhood | None = None,
) -> str:
    """The absolute one-click unsubscribe URL for a mail to `user`: for one kind of mail from
    one neighbourhood (the only kind made now), or, without them, the old person-wide link."""
    if topic is None or neighbourhood is None:
        token = make_action_link_token(
            user=user, purpose=UNSUBSCRIBE, obj=user, expires_at=expires_at
        )
        return settings.SITE_URL + reverse("account:unsubscribe", kwargs={"token": token})
    token = make_action_link_token(
        user=user, purpose=UNSUBSCRIBE_TOPIC[topic], obj=neighbourhood, expires_at=expires_at
    )
    return settings.SITE_URL + reverse(
        "account:unsubscribe_topic", kwargs={"topic": topic, "token": token}
    )
