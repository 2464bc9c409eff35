"""Writes for neighbourhoods and people. Views, commands and tasks call these; nothing else
writes these models."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from buurtoverleg.public_pages import changes_public_pages
from residents.mail_kinds import ResidentMail
from residents.models import (
    InviteCode,
    Membership,
    Neighbourhood,
    Organisation,
    Role,
    User,
    normalise_postcode,
)


def house_number_value(house_number: str) -> int | None:
    """The numeric part of '12', '12a' or '12-3', for range checks."""
    match = re.match(r"\s*(\d+)", house_number or "")
    return int(match.group(1)) if match else None


def _invite_code_refused() -> ValidationError:
    return ValidationError(
        _(
            "This invite code is not right or has been used already. Check the code, "
            "or leave it empty: the chair will then approve your application."
        ),
        code="invite_code_invalid",
    )


def invite_code_lookup(*, neighbourhood: Neighbourhood, code: str) -> InviteCode:
    """The usable code of this neighbourhood that `code` names, however it was typed.

    Raises ValidationError (code "invite_code_invalid") for a code that is unknown, of another
    neighbourhood, used or expired.
    """
    cleaned = code.strip().upper().replace(" ", "")
    if len(cleaned) == 9 and "-" not in cleaned:
        cleaned = f"{cleaned[:3]}-{cleaned[3:6]}-{cleaned[6:]}"
    invite = InviteCode.objects.filter(neighbourhood=neighbourhood, code=cleaned).first()
    if invite is None or not invite.is_usable:
        raise _invite_code_refused()
    return invite


@transaction.atomic
def membership_apply(
    *,
    user: User,
    neighbourhood: Neighbourhood,
    postcode: str,
    house_number: str,
    invite_code: str = "",
) -> Membership:
    """A resident joins from their address: pending until the chair approves, or active at
    once with an invite code. Both ways of joining (signing up, or logged in) come here.

    The one rule for a code: one that is unknown, of another neighbourhood, used or expired
    is refused with a ValidationError on `invite_code`, and nothing is saved; the person can
    leave the code out and apply for approval instead. The code is claimed with a conditional
    update, so two people racing for one printed code cannot both use it: the second is
    refused like any used code.
    """
    status = Membership.Status.PENDING
    if invite_code:
        try:
            invite = invite_code_lookup(neighbourhood=neighbourhood, code=invite_code)
        except ValidationError as error:
            raise ValidationError({"invite_code": error}) from None
        claimed = InviteCode.objects.filter(pk=invite.pk, used_at__isnull=True).update(
            used_at=timezone.now(), used_by=user
        )
        if not claimed:
            raise ValidationError({"invite_code": _invite_code_refused()})
        status = Membership.Status.ACTIVE
    user.postcode, user.house_number = postcode, house_number
    user.save(update_fields=["postcode", "house_number"])
    membership, created = Membership.objects.get_or_create(
        user=user,
        neighbourhood=neighbourhood,
        role=Role.RESIDENT,
        defaults={"status": status},
    )
    if not created and membership.status != Membership.Status.ACTIVE:
        # Someone who left or was turned down may apply again.
        membership.status = status
        membership.created_at = timezone.now()
        membership.left_at = None
        membership.decided_at = membership.decided_by = None
        membership.save()
    if status == Membership.Status.ACTIVE and membership.decided_at is None:
        membership.decided_at = timezone.now()
        membership.save(update_fields=["decided_at"])
    return membership


@transaction.atomic
def membership_decide(*, membership: Membership, by: User, approve: bool) -> Membership:
    """The chair approves or rejects a pending application."""
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.status != Membership.Status.PENDING:
        return locked
    locked.status = Membership.Status.ACTIVE if approve else Membership.Status.REJECTED
    locked.decided_at = timezone.now()
    locked.decided_by = by
    locked.save(update_fields=["status", "decided_at", "decided_by"])
    return locked


@transaction.atomic
def invite_codes_create(
    *,
    neighbourhood: Neighbourhood,
    by: User | None,
    count: int,
    valid_days: int = 90,
    email: str = "",
) -> list[InviteCode]:
    expires = timezone.now() + timedelta(days=valid_days)
    return [
        InviteCode.objects.create(
            neighbourhood=neighbourhood, created_by=by, expires_at=expires, email=email
        )
        for _ in range(count)
    ]


# --- The chair's member management ----------------------------------------------------------

INVITATION_VALID_DAYS = 30
NAME_MAX_LENGTH = 120  # User.display_name
EMAIL_MAX_LENGTH = 254  # User.email
HOUSE_NUMBER_MAX_LENGTH = 10  # User.house_number
# Roles that act for an organisation: the organisation and job title are kept on these.
ORGANISATION_ROLES = frozenset({Role.CHAIR, Role.PROFESSIONAL, Role.OFFICE})


def invite_join_url(*, neighbourhood: Neighbourhood, code: str = "") -> str:
    """The full address of the join page, with the code filled in when given."""
    url = settings.SITE_URL + reverse("join", args=[neighbourhood.slug])
    return f"{url}?{urlencode({'code': code})}" if code else url


def send_membership_approved_mail(*, membership_id: int) -> None:
    """Tell an approved applicant that they can take part now (through the mail ledger)."""
    from buurtoverleg.mail.pipeline import mailing_create, recipients_for

    membership = (
        Membership.objects.select_related("user", "neighbourhood")
        .filter(pk=membership_id, status=Membership.Status.ACTIVE)
        .first()
    )
    if membership is None or not membership.user.email:
        return
    hood = membership.neighbourhood
    decided = membership.decided_at.isoformat() if membership.decided_at else ""
    mailing_create(
        kind=ResidentMail.MEMBERSHIP_APPROVED,
        recipients=recipients_for([membership.user]),
        neighbourhood=hood,
        subject=membership,
        context={
            "neighbourhood_url": settings.SITE_URL + hood.get_absolute_url(),
            "login_url": settings.SITE_URL + reverse("account_login"),
        },
        created_by=membership.decided_by,
        key=f"membership_approved:{membership.pk}:{decided}",
    )


def send_invitation_mail(*, invite_id: int, name: str = "") -> None:
    """Mail an invitation with its code and a link to the join page with the code filled in.

    The invitee has no account yet, so the mail is in the site's language (Dutch).
    """
    from buurtoverleg.mail.pipeline import Recipient, mailing_create

    invite = (
        InviteCode.objects.select_related("neighbourhood", "created_by")
        .filter(pk=invite_id)
        .first()
    )
    if invite is None or not invite.email or not invite.is_usable:
        return
    hood = invite.neighbourhood
    mailing_create(
        kind=ResidentMail.INVITATION,
        recipients=[Recipient(email=invite.email, language=settings.LANGUAGE_CODE)],
        neighbourhood=hood,
        subject=invite,
        context={
            "name": name,
            "join_url": invite_join_url(neighbourhood=hood, code=invite.code),
            "neighbourhood_url": settings.SITE_URL + hood.get_absolute_url(),
        },
        created_by=invite.created_by,
        key=f"invitation:{invite.pk}",
    )


@transaction.atomic
def membership_approve(*, membership: Membership, by: User) -> Membership:
    """Approve a pending application; once saved, the applicant gets a welcome e-mail.

    Only the request that actually moves the application from pending sends the mail, so a
    double-clicked button mails once.
    """
    status = (
        Membership.objects.select_for_update()
        .values_list("status", flat=True)
        .get(pk=membership.pk)
    )
    decided = membership_decide(membership=membership, by=by, approve=True)
    if status == Membership.Status.PENDING:
        send_membership_approved_mail(membership_id=decided.pk)
    return decided


@transaction.atomic
def invitation_send(
    *,
    neighbourhood: Neighbourhood,
    by: User,
    email: str,
    name: str = "",
    valid_days: int = INVITATION_VALID_DAYS,
) -> InviteCode:
    """Make a single-use code for one e-mail address and mail it once the code is saved."""
    [invite] = invite_codes_create(
        neighbourhood=neighbourhood,
        by=by,
        count=1,
        valid_days=valid_days,
        email=email.strip().lower(),
    )
    send_invitation_mail(invite_id=invite.pk, name=name.strip())
    return invite


@transaction.atomic
def paper_resident_add(
    *,
    neighbourhood: Neighbourhood,
    by: User,
    name: str,
    postcode: str,
    house_number: str,
    contact_note: str = "",
) -> Membership:
    """A resident without e-mail, for attendance lists and paper ballots: active at once."""
    user = User.objects.create_user(
        email=None,
        display_name=" ".join(name.split()),
        postcode=postcode,
        house_number=house_number.strip(),
        contact_note=contact_note.strip(),
    )
    return Membership.objects.create(
        user=user,
        neighbourhood=neighbourhood,
        role=Role.RESIDENT,
        status=Membership.Status.ACTIVE,
        decided_at=timezone.now(),
        decided_by=by,
    )


@changes_public_pages
@transaction.atomic
def membership_roles_set(
    *,
    neighbourhood: Neighbourhood,
    user: User,
    roles: Collection[str],
    by: User,
    organisation: Organisation | None = None,
    job_title: str = "",
) -> list[Membership]:
    """Give a person exactly these active roles in the neighbourhood.

    Roles they gain are active at once; roles they lose are marked as left, not deleted, so the
    record of who held which role stays. No role at all, or a professional without an
    organisation, is refused with a ValidationError on `roles` or `organisation`.
    """
    wanted = set(roles)
    if not wanted <= set(Role.values):
        raise ValueError(f"Unknown roles: {sorted(wanted - set(Role.values))}")
    if not wanted:
        raise ValidationError(
            {"roles": ValidationError(_("Choose at least one role."), code="required")}
        )
    if Role.PROFESSIONAL in wanted and organisation is None:
        raise ValidationError(
            {
                "organisation": ValidationError(
                    _(
                        "Choose the organisation this professional works for. A professional "
                        "always belongs to an organisation."
                    ),
                    code="organisation_required",
                )
            }
        )
    now = timezone.now()
    existing = {
        m.role: m
        for m in Membership.objects.select_for_update().filter(
            user=user, neighbourhood=neighbourhood
        )
    }
    result: list[Membership] = []
    for role in Role.values:
        membership = existing.get(role)
        if role in wanted:
            acts_for_organisation = role in ORGANISATION_ROLES
            org = organisation if acts_for_organisation else None
            title = job_title.strip() if acts_for_organisation else ""
            if membership is None:
                membership = Membership.objects.create(
                    user=user,
                    neighbourhood=neighbourhood,
                    role=role,
                    status=Membership.Status.ACTIVE,
                    organisation=org,
                    job_title=title,
                    decided_at=now,
                    decided_by=by,
                )
            else:
                if membership.status != Membership.Status.ACTIVE:
                    membership.status = Membership.Status.ACTIVE
                    membership.decided_at, membership.decided_by = now, by
                    membership.left_at = None
                membership.organisation, membership.job_title = org, title
                membership.save()
            result.append(membership)
        elif membership is not None and membership.status == Membership.Status.ACTIVE:
            membership.status = Membership.Status.LEFT
            membership.left_at = now
            membership.save(update_fields=["status", "left_at"])
    return result


@dataclass
class ImportRow:
    """One row of an uploaded member list, and what importing it would do."""

    line: int
    name: str
    email: str
    postcode: str
    house_number: str
    problems: list[str] = field(default_factory=list)
    user: User | None = None  # the existing account with this e-mail address
    applied: bool = False  # has an earlier application here, which importing approves

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def is_paper(self) -> bool:
        return not self.email


@dataclass(frozen=True)
class ImportResult:
    new_accounts: int
    existing_accounts: int
    paper_residents: int
    not_imported: int

    @property
    def imported(self) -> int:
        return self.new_accounts + self.existing_accounts + self.paper_residents


def _import_row(raw: Mapping[str, Any]) -> ImportRow:
    """A row with its own problems (missing or malformed values), before any database check."""

    def text(key: str) -> str:
        return str(raw.get(key) or "").strip()

    row = ImportRow(
        line=int(raw.get("line") or 0),
        name=" ".join(text("name").split()),
        email=text("email").lower(),
        postcode=text("postcode"),
        house_number=text("house_number"),
    )
    if not row.name:
        row.problems.append(_("The name is missing."))
    elif len(row.name) > NAME_MAX_LENGTH:
        row.problems.append(
            _("The name is longer than %(max)s characters.") % {"max": NAME_MAX_LENGTH}
        )
    if row.email:
        try:
            validate_email(row.email)
            if len(row.email) > EMAIL_MAX_LENGTH:
                raise ValidationError("too long")
        except ValidationError:
            row.problems.append(_("The e-mail address is not valid."))
    address_ok = True
    if not row.postcode:
        row.problems.append(_("The postcode is missing."))
        address_ok = False
    else:
        try:
            row.postcode = normalise_postcode(row.postcode)
        except ValueError:
            row.problems.append(
                _("The postcode is not valid. Use four digits and two letters, such as 1234 AB.")
            )
            address_ok = False
    if not row.house_number:
        row.problems.append(_("The house number is missing."))
        address_ok = False
    elif house_number_value(row.house_number) is None:
        row.problems.append(_("The house number must start with a digit."))
        address_ok = False
    elif len(row.house_number) > HOUSE_NUMBER_MAX_LENGTH:
        row.problems.append(
            _("The house number is longer than %(max)s characters.")
            % {"max": HOUSE_NUMBER_MAX_LENGTH}
        )
        address_ok = False
    if not address_ok:
        row.postcode = text("postcode")  # show what the file said
    return row


def _paper_key(name: str, postcode: str, house_number: str) -> tuple[str, str, str]:
    return (" ".join(name.split()).casefold(), postcode, house_number.strip().casefold())


def import_rows_check(
    *, neighbourhood: Neighbourhood, rows: Iterable[Mapping[str, Any]]
) -> list[ImportRow]:
    """Check the rows of a member list against each other and the database. Reads only.

    `rows` are dicts with line, name, email, postcode and house_number, as read from the file.
    The number of queries does not depend on the number of rows.
    """
    prefetch_related_objects([neighbourhood], "postcode_areas")
    checked = [_import_row(raw) for raw in rows]
    emails = {row.email for row in checked if row.email and row.ok}
    users: dict[str, User] = {}
    if emails:
        users = {
            user.email_lower: user
            for user in User.objects.annotate(email_lower=Lower("email")).filter(
                email_lower__in=emails
            )
        }
    held: dict[int, list[tuple[str, str]]] = {}  # user id -> (role, status) here
    for user_id, role, status in Membership.objects.filter(
        neighbourhood=neighbourhood, user__in=list(users.values())
    ).values_list("user_id", "role", "status"):
        held.setdefault(user_id, []).append((role, status))
    paper_members = {
        _paper_key(*values)
        for values in Membership.objects.active()
        .filter(neighbourhood=neighbourhood, user__email__isnull=True)
        .values_list("user__display_name", "user__postcode", "user__house_number")
    }
    seen: dict[object, int] = {}
    for row in checked:
        if not row.ok:
            continue
        if not neighbourhood.covers(row.postcode, house_number_value(row.house_number)):
            row.problems.append(
                _("This address is not in %(neighbourhood)s.")
                % {"neighbourhood": neighbourhood.name}
            )
            continue
        key: object
        if row.email:
            key = row.email
            row.user = users.get(row.email)
            memberships = held.get(row.user.pk, []) if row.user else []
            if any(status == Membership.Status.ACTIVE for _role, status in memberships):
                row.problems.append(_("This person is already a member."))
                continue
            row.applied = any(role == Role.RESIDENT for role, _status in memberships)
        else:
            key = _paper_key(row.name, row.postcode, row.house_number)
            if key in paper_members:
                row.problems.append(_("This person is already a member (without e-mail)."))
                continue
        if key in seen:
            row.problems.append(
                (
                    _("This e-mail address is also on row %(line)s.")
                    if row.email
                    else _("This person is also on row %(line)s.")
                )
                % {"line": seen[key]}
            )
            continue
        seen[key] = row.line
    return checked


@transaction.atomic
def memberships_import(
    *, neighbourhood: Neighbourhood, by: User, rows: Iterable[Mapping[str, Any]]
) -> ImportResult:
    """Add the good rows of a member list as active residents, all together or not at all.

    The rows are checked again here, as things may have changed since the chair saw the
    preview; rows with a problem are left out. A new e-mail address gets an account with a
    verified address (the chair vouches for it), so the person can log in with a code; a row
    without an e-mail address becomes a paper resident. Pending applicants on the list are
    approved and get the usual welcome mail.
    """
    checked = import_rows_check(neighbourhood=neighbourhood, rows=rows)
    good = [row for row in checked if row.ok]
    now = timezone.now()
    new_users: list[User] = []
    for row in good:
        if row.user is None:
            user = User(
                email=row.email or None,
                display_name=row.name,
                postcode=row.postcode,
                house_number=row.house_number,
            )
            user.set_unusable_password()
            new_users.append(user)
    # PostgreSQL and SQLite return the new primary keys from a bulk insert.
    User.objects.bulk_create(new_users, batch_size=500)
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user=user, email=user.email, verified=True, primary=True)
            for user in new_users
            if user.email
        ],
        batch_size=500,
    )

    existing = [row.user for row in good if row.user is not None]
    earlier = Membership.objects.filter(
        neighbourhood=neighbourhood, role=Role.RESIDENT, user__in=existing
    )
    earlier_by_user = dict(earlier.values_list("user_id", "status"))
    waiting = list(earlier.filter(status=Membership.Status.PENDING).values_list("pk", flat=True))
    earlier.exclude(status=Membership.Status.ACTIVE).update(
        status=Membership.Status.ACTIVE, decided_at=now, decided_by=by, left_at=None
    )
    Membership.objects.bulk_create(
        [
            Membership(
                user=user,
                neighbourhood=neighbourhood,
                role=Role.RESIDENT,
                status=Membership.Status.ACTIVE,
                decided_at=now,
                decided_by=by,
            )
            for user in [*new_users, *existing]
            if user.pk not in earlier_by_user
        ],
        batch_size=500,
    )
    for membership_id in waiting:
        send_membership_approved_mail(membership_id=membership_id)
    return ImportResult(
        new_accounts=sum(1 for user in new_users if user.email),
        existing_accounts=len(existing),
        paper_residents=sum(1 for user in new_users if not user.email),
        not_imported=len(checked) - len(good),
    )
