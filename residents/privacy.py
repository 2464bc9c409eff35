"""A person's own data: change it, export it, leave, delete the account, and retention.

Other apps add what they store about a person without touching this module's code:

    from residents.privacy import register_anonymiser, register_export_section

    @register_export_section("problems")
    def export_problems(user: User) -> list[dict[str, Any]]: ...

    @register_anonymiser
    def anonymise_problems(user: User) -> None: ...  # e.g. blank a reporter's phone number

    @register_consent_withdrawn  # they no longer want to be named (consent_named_in_minutes)
    def remove_from_minutes(user: User) -> None: ...

Import that module from the app's AppConfig.ready(). Contributions (problems, votes, notes)
keep pointing at the anonymised User row: they stay, without a name or address.
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import reduce
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from buurtoverleg.public_pages import changes_public_pages, public_pages_changed
from residents.models import (
    Coordinator,
    InviteCode,
    MailPreference,
    Membership,
    Neighbourhood,
    User,
    new_link_key,
)

log = logging.getLogger(__name__)

# Translators: replaces the name of someone who deleted their account or left long ago,
# wherever their old contributions are shown. Dutch: "Oud-deelnemer" or "Oud-bewoner".
ANONYMOUS_NAME = _("Former participant")
# 2: every person-referring row is in it (tests/residents/test_export_complete.py); problems
# someone supported or follows are listed with their public title instead of only an id.
EXPORT_FORMAT_VERSION = 2

ExportSection = Callable[[User], Any]
Anonymiser = Callable[[User], None]
# (key in the export, function returning JSON-ready data about that one person)
EXPORT_SECTIONS: list[tuple[str, ExportSection]] = []
# Called inside the anonymising transaction, before the User row itself is scrubbed.
ANONYMISERS: list[Anonymiser] = []
# Called inside the profile change's transaction when the person withdraws their consent to
# be named (consent_named_in_minutes): e.g. the minutes that named them are made again.
CONSENT_WITHDRAWN: list[Anonymiser] = []


def register_export_section[F: ExportSection](name: str) -> Callable[[F], F]:
    def decorator(func: F) -> F:
        if any(existing == name for existing, _func in EXPORT_SECTIONS):
            raise ValueError(f"Export section {name!r} is already registered.")
        EXPORT_SECTIONS.append((name, func))
        return func

    return decorator


def register_anonymiser[F: Anonymiser](func: F) -> F:
    if func not in ANONYMISERS:
        ANONYMISERS.append(func)
    return func


def register_consent_withdrawn[F: Anonymiser](func: F) -> F:
    if func not in CONSENT_WITHDRAWN:
        CONSENT_WITHDRAWN.append(func)
    return func


def export_iso(value: datetime | None) -> str | None:
    """A moment as every export section writes it: local time, ISO 8601."""
    return timezone.localtime(value).isoformat() if value else None


# --- Changing one's own details ---


def _team_neighbourhoods(user: User) -> list[int]:
    """Where the neighbourhood page's support team lists this person (Membership.team)."""
    return list(
        Membership.objects.filter(user=user).team().values_list("neighbourhood_id", flat=True)
    )


@changes_public_pages
@transaction.atomic
def user_update_profile(
    *,
    user: User,
    display_name: str | None = None,
    language: str | None = None,
    minutes_as_pdf: bool | None = None,
    consent_named_in_minutes: bool | None = None,
    postcode: str | None = None,
    house_number: str | None = None,
) -> list[str]:
    """Change the given fields (None leaves a field alone). Returns the names of changed fields."""
    wanted = {
        "display_name": display_name.strip() if display_name is not None else None,
        "language": language,
        "minutes_as_pdf": minutes_as_pdf,
        "consent_named_in_minutes": consent_named_in_minutes,
        "postcode": postcode,
        "house_number": house_number.strip() if house_number is not None else None,
    }
    if language is not None and language not in User.Language.values:
        raise ValueError(f"Unsupported language {language!r}.")
    changed = [
        field
        for field, value in wanted.items()
        if value is not None and getattr(user, field) != value
    ]
    for field in changed:
        setattr(user, field, wanted[field])
    if changed:
        user.save(update_fields=changed)
    if "display_name" in changed:
        public_pages_changed(_team_neighbourhoods(user))  # the page's support team names them
    if "consent_named_in_minutes" in changed and not user.consent_named_in_minutes:
        # Every version of the minutes that named them is made again without the name.
        for withdrawn in CONSENT_WITHDRAWN:
            withdrawn(user)
    return changed


@changes_public_pages
@transaction.atomic
def membership_leave(*, user: User, neighbourhood: Neighbourhood) -> list[Membership]:
    """The person leaves a neighbourhood: every active or pending role there ends now."""
    now = timezone.now()
    memberships = list(
        Membership.objects.select_for_update()
        .filter(user=user, neighbourhood=neighbourhood)
        .filter(status__in=[Membership.Status.ACTIVE, Membership.Status.PENDING])
    )
    for membership in memberships:
        membership.status = Membership.Status.LEFT
        membership.left_at = now
        membership.save(update_fields=["status", "left_at"])
    return memberships


# --- Export ---


def _export_account(user: User) -> dict[str, Any]:
    return {
        "name": user.display_name,
        "email": user.email,
        "language": user.language,
        "postcode": user.postcode,
        "house_number": user.house_number,
        "contact_note": user.contact_note,
        "minutes_as_pdf": user.minutes_as_pdf,
        "consent_named_in_minutes": user.consent_named_in_minutes,
        "date_joined": export_iso(user.date_joined),
        "last_login": export_iso(user.last_login),
    }


def _export_email_addresses(user: User) -> list[dict[str, Any]]:
    return [
        {"email": address.email, "verified": address.verified, "primary": address.primary}
        for address in EmailAddress.objects.filter(user=user).order_by("email")
    ]


def _export_memberships(user: User) -> list[dict[str, Any]]:
    # Who approved an application is someone else's data: it is left out on purpose.
    memberships = (
        Membership.objects.filter(user=user)
        .select_related("neighbourhood__municipality", "organisation")
        .order_by("neighbourhood__name", "role")
    )
    return [
        {
            "neighbourhood": m.neighbourhood.name,
            "municipality": m.neighbourhood.municipality.name,
            "role": m.role,
            "role_label": str(m.get_role_display()),
            "status": m.status,
            "status_label": str(m.get_status_display()),
            "organisation": m.organisation.name if m.organisation else None,
            "job_title": m.job_title,
            "applied_at": export_iso(m.created_at),
            "decided_at": export_iso(m.decided_at),
            "left_at": export_iso(m.left_at),
        }
        for m in memberships
    ]


def _export_coordinator_roles(user: User) -> list[dict[str, Any]]:
    return [
        {"municipality": c.municipality.name}
        for c in Coordinator.objects.filter(user=user).select_related("municipality")
    ]


def _export_second_factors(user: User) -> list[dict[str, Any]]:
    # That a second factor exists, not its secret.
    return [
        {
            "type": a.type,
            "created_at": export_iso(a.created_at),
            "last_used_at": export_iso(a.last_used_at),
        }
        for a in Authenticator.objects.filter(user=user).order_by("created_at")
    ]


def _export_invite_codes_used(user: User) -> list[dict[str, Any]]:
    # How they joined; who made the code is left out (someone else's data).
    return [
        {
            "neighbourhood": code.neighbourhood.name,
            "code": code.code,
            "used_at": export_iso(code.used_at),
        }
        for code in InviteCode.objects.filter(used_by=user)
        .select_related("neighbourhood")
        .order_by("used_at", "pk")
    ]


def _export_admin_access(user: User) -> dict[str, Any]:
    # The admin site's rights (staff only; for residents all empty).
    return {
        "staff": user.is_staff,
        "superuser": user.is_superuser,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "permissions": sorted(
            f"{app}.{codename}"
            for app, codename in user.user_permissions.values_list(
                "content_type__app_label", "codename"
            )
        ),
    }


def _export_mail_preferences(user: User) -> list[dict[str, Any]]:
    # Only the choices they made; every other kind of mail is on (the reminder: off).
    return [
        {
            "neighbourhood": row.neighbourhood.name,
            "kind": row.topic,
            "wanted": row.enabled,
            "changed_at": export_iso(row.changed_at),
        }
        for row in MailPreference.objects.filter(user=user)
        .select_related("neighbourhood")
        .order_by("neighbourhood__name", "topic")
    ]


register_export_section("account")(_export_account)
register_export_section("mail_preferences")(_export_mail_preferences)
register_export_section("email_addresses")(_export_email_addresses)
register_export_section("memberships")(_export_memberships)
register_export_section("coordinator_roles")(_export_coordinator_roles)
register_export_section("second_factors")(_export_second_factors)
register_export_section("invite_codes_used")(_export_invite_codes_used)
register_export_section("admin_access")(_export_admin_access)


@transaction.atomic
def user_export_data(*, user: User) -> dict[str, Any]:
    """Everything stored about this one person, JSON-ready, in sections other apps can add to."""
    data: dict[str, Any] = {
        "format": "buurtoverleg-export",
        "version": EXPORT_FORMAT_VERSION,
        "exported_at": export_iso(timezone.now()),
    }
    for name, section in EXPORT_SECTIONS:
        data[name] = section(user)
    return data


# --- Deleting and anonymising ---


def anonymous_name() -> str:
    """The stored label, in the installation's main language (it is stored, not translated)."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(ANONYMOUS_NAME)


def _anonymise(user: User, *, now: datetime) -> None:
    """Erase everything that identifies the person; keep the row so contributions stay."""
    old_email = user.email
    for anonymiser in ANONYMISERS:
        anonymiser(user)

    Membership.objects.filter(
        user=user, status__in=[Membership.Status.ACTIVE, Membership.Status.PENDING]
    ).update(status=Membership.Status.LEFT, left_at=now)
    Membership.objects.filter(user=user).exclude(job_title="").update(job_title="")
    Coordinator.objects.filter(user=user).delete()
    if old_email:
        InviteCode.objects.filter(email__iexact=old_email).update(email="")
    EmailAddress.objects.filter(user=user).delete()  # also their confirmations (cascade)
    Authenticator.objects.filter(user=user).delete()  # TOTP secrets, recovery codes, keys
    MailPreference.objects.filter(user=user).delete()  # no address left to mail anyway
    # The admin's history names people in its descriptions of changed objects.
    membership_ids = [
        str(pk) for pk in Membership.objects.filter(user=user).values_list("pk", flat=True)
    ]
    label = anonymous_name()
    types = ContentType.objects.get_for_models(User, Membership)
    LogEntry.objects.filter(
        Q(content_type=types[User], object_id=str(user.pk))
        | Q(content_type=types[Membership], object_id__in=membership_ids)
    ).update(object_repr=label, change_message="")

    user.display_name = label
    user.email = None
    user.postcode = ""
    user.house_number = ""
    user.contact_note = ""
    user.language = settings.LANGUAGE_CODE
    user.consent_named_in_minutes = False
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.last_login = None
    user.anonymised_at = now
    user.link_key = new_link_key()  # every action link stops working
    # A new password hash ends every session of this person (Django checks it per request).
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()


@changes_public_pages
@transaction.atomic
def user_delete_account(*, user: User) -> User:
    """The person deletes their account: personal data goes now, contributions stay anonymous.

    The caller logs the current request out; other sessions end by themselves because the
    password hash changed and the account is inactive.
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.anonymised_at is None:
        public_pages_changed(_team_neighbourhoods(locked))  # they leave the support team
        _anonymise(locked, now=timezone.now())
    # The caller's object (often request.user) should not keep showing the old data.
    user.refresh_from_db()
    return locked


def _departed_members(cutoff: datetime) -> QuerySet[User]:
    """People whose every membership ended before `cutoff` and who hold no other role.

    A membership counts as ended when it was left (left_at) or its application was turned
    down (decided_at) before the cutoff. Anything else, or a missing date, keeps the person.
    """
    still_counts = (
        ~Q(status__in=[Membership.Status.LEFT, Membership.Status.REJECTED])
        | Q(status=Membership.Status.LEFT, left_at__isnull=True)
        | Q(status=Membership.Status.LEFT, left_at__gte=cutoff)
        | Q(status=Membership.Status.REJECTED, decided_at__isnull=True)
        | Q(status=Membership.Status.REJECTED, decided_at__gte=cutoff)
    )
    memberships = Membership.objects.filter(user=OuterRef("pk"))
    return (
        User.objects.filter(anonymised_at__isnull=True, is_staff=False, is_superuser=False)
        .filter(Exists(memberships))
        .exclude(Exists(memberships.filter(still_counts)))
        .exclude(Exists(Coordinator.objects.filter(user=OuterRef("pk"))))
    )


@transaction.atomic
def purge_departed_members(*, now: datetime | None = None) -> int:
    """Anonymise people who left every neighbourhood more than RETENTION_DAYS_AFTER_LEAVING
    days ago. Idempotent; never touches anyone with an active or pending membership, a
    coordinator role or staff access. Returns how many people were anonymised."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.RETENTION_DAYS_AFTER_LEAVING)
    count = 0
    for pk in list(_departed_members(cutoff).order_by("pk").values_list("pk", flat=True)):
        # Locked and checked again, so someone who rejoins at this moment is not touched.
        user = User.objects.select_for_update().get(pk=pk)
        if _departed_members(cutoff).filter(pk=pk).exists():
            _anonymise(user, now=now)
            count += 1
    return count


# --- Sign-ups never confirmed ---

# What a sign-up leaves behind before the address is confirmed: the application, the address
# waiting for its code, mail choices. Any other row that points at the person (a report, a
# vote, a mail, a decision, an admin entry) is something they did or received: it keeps them.
_SIGNUP_TRACES = frozenset({(Membership, "user"), (EmailAddress, "user"), (MailPreference, "user")})


def _has_other_traces() -> Q:
    """True for a person any row other than their own sign-up points at, in any app."""
    found = []
    for rel in User._meta.get_fields(include_hidden=True):
        if rel.concrete or not rel.auto_created:
            continue  # only the reverse side of relations pointing at User
        model = rel.related_model
        field_name = rel.field.name  # type: ignore[union-attr]
        if (model, field_name) in _SIGNUP_TRACES or model._meta.auto_created:  # type: ignore[union-attr]
            continue  # auto-created: User's own groups and permissions; M2M rels cover others
        rows = model._base_manager.filter(**{field_name: OuterRef("pk")})  # type: ignore[union-attr]
        found.append(Q(Exists(rows)))
    return reduce(operator.or_, found, Q(pk__in=[]))


def _unconfirmed_signups(cutoff: datetime) -> QuerySet[User]:
    """People who signed up before `cutoff` and never typed the code mailed to them.

    They joined through the sign-up form (an unconfirmed address of theirs is waiting), never
    logged in, have no confirmed address, and hold nothing but pending applications. Paper
    residents (no e-mail), imported members (confirmed by the chair), people who joined with an
    invite code or were given a role (active at once), coordinators and staff are never this.
    """
    memberships = Membership.objects.filter(user=OuterRef("pk"))
    addresses = EmailAddress.objects.filter(user=OuterRef("pk"))
    return (
        User.objects.filter(
            anonymised_at__isnull=True,
            is_staff=False,
            is_superuser=False,
            email__isnull=False,
            last_login__isnull=True,
            date_joined__lt=cutoff,
        )
        .exclude(email="")
        .filter(Exists(addresses.filter(verified=False)))
        .exclude(Exists(addresses.filter(verified=True)))
        .exclude(Exists(memberships.exclude(status=Membership.Status.PENDING)))
        .exclude(Exists(Coordinator.objects.filter(user=OuterRef("pk"))))
    )


def _erase_signup(user: User) -> None:
    """Delete the person: they never took part, so nothing needs to stay. Their applications
    and addresses go with them (cascade); the admin's history no longer names them."""
    membership_ids = [
        str(pk) for pk in Membership.objects.filter(user=user).values_list("pk", flat=True)
    ]
    types = ContentType.objects.get_for_models(User, Membership)
    LogEntry.objects.filter(
        Q(content_type=types[User], object_id=str(user.pk))
        | Q(content_type=types[Membership], object_id__in=membership_ids)
    ).update(object_repr=f"#{user.pk}", change_message="")
    user.delete()


@transaction.atomic
def purge_unconfirmed_signups(*, now: datetime | None = None) -> int:
    """Delete sign-ups whose address was not confirmed within UNCONFIRMED_SIGNUP_DAYS days.

    Someone with anything else to their name (see `_has_other_traces`) is kept and counted in
    the log: deleting them would take that with them. Idempotent. Returns how many were deleted.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.UNCONFIRMED_SIGNUP_DAYS)
    candidates = _unconfirmed_signups(cutoff)
    erasable = candidates.exclude(_has_other_traces())
    erased = 0
    for pk in list(erasable.order_by("pk").values_list("pk", flat=True)):
        # Locked and checked again, so someone typing their code at this moment is kept.
        user = User.objects.select_for_update().get(pk=pk)
        if erasable.filter(pk=pk).exists():
            _erase_signup(user)
            erased += 1
    kept = candidates.count()  # what is left: those with other data
    log.info(
        "Retention: deleted %d sign-ups never confirmed; kept %d that have other data",
        erased,
        kept,
    )
    return erased
