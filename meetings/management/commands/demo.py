"""Demo data for `make run`: two neighbourhoods of one municipality with a full cast."""

from __future__ import annotations

from datetime import time
from typing import Any, override

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.core.management.base import BaseCommand
from django.db import transaction

from meetings import demo as meetings_demo
from meetings.actions import demo as action_demo
from meetings.planning.schedule import meetings_plan_from_rhythm
from problems import demo as problems_demo
from residents.models import (
    Coordinator,
    Membership,
    Municipality,
    Neighbourhood,
    Organisation,
    PostcodeArea,
    Role,
    User,
)
from residents.services import invite_codes_create

# A fixed secret so the demo team can log in; never used outside demo data.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105

RESIDENTS = [
    # name, e-mail local part, postcode, number, status
    ("Mohamed Bouzid", "mohamed", "3527AB", "12", "active"),
    ("Annie de Groot", "annie", "3527AB", "14", "active"),
    ("Jeroen Smit", "jeroen", "3527AC", "3", "active"),
    ("Yasmina Ouali", "yasmina", "3527BD", "88", "active"),
    ("Henk Visser", "henk", "3527BD", "90", "active"),
    ("Lotte Mulder", "lotte", "3527CA", "7", "active"),
    ("Emre Yilmaz", "emre", "3527CA", "9", "active"),
    ("Gerda Hoekstra", "gerda", "3527CB", "21", "active"),
    ("Samir Haddou", "samir", "3527CB", "23", "active"),
    ("Marieke Bos", "marieke", "3527DA", "2", "active"),
    ("Ricardo Martis", "ricardo", "3527DA", "4", "active"),
    ("Ilse van Leeuwen", "ilse", "3527DB", "15", "active"),
    ("Tomasz Kowalski", "tomasz", "3527DB", "17", "pending"),
    ("Nadia Amrani", "nadia", "3527EA", "30", "pending"),
    ("Bram de Wit", "bram", "3527EA", "32", "pending"),
    ("Joke Kramer", "", "3527EB", "5", "active"),  # paper resident: no e-mail
]
ONDIEP_RESIDENTS = [
    ("Wim Verhoeven", "wim", "3553AA", "10", "active"),
    ("Fenna Dijkstra", "fenna", "3553AB", "41", "active"),
    ("Karim Benali", "karim", "3553AC", "6", "pending"),
]


def _person(name: str, email: str, **extra: Any) -> User:
    user = User.objects.create_user(email=email or None, display_name=name, **extra)
    if email:
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _second_factor(user: User) -> None:
    TOTP.activate(user, DEMO_TOTP_SECRET)
    RecoveryCodes.activate(user)


class Command(BaseCommand):
    help = "Load demo data: two neighbourhoods, a team, twenty residents and forty problems."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet", action="store_true", help="Do not print the personas.")

    @override
    def handle(self, *args: Any, **options: Any) -> None:
        if Neighbourhood.objects.filter(slug="kanaleneiland-noord").exists():
            self.stdout.write("Demo data is already there.")
        else:
            with transaction.atomic():  # work queued on commit runs (and logs) before the list
                self._load()
        if not options["quiet"]:
            self._print_personas()

    def _load(self) -> None:
        utrecht = Municipality.objects.create(name="Utrecht", slug="utrecht")
        kanaleneiland = Neighbourhood.objects.create(
            municipality=utrecht,
            name="Kanaleneiland-Noord",
            slug="kanaleneiland-noord",
            description="Het noordelijke deel van Kanaleneiland, tussen het Merwedekanaal "
            "en de Churchilllaan.",
            meeting_place="Buurthuis De Linde, Marshalllaan 10",
            meeting_rhythm="elke tweede dinsdag van de maand, 19:30",
            meeting_weekday=1,  # Tuesday
            meeting_week=2,
            meeting_time=time(19, 30),
            max_active_priorities=5,  # room for last month's round to add one
        )
        PostcodeArea.objects.create(neighbourhood=kanaleneiland, postcode="3527")
        ondiep = Neighbourhood.objects.create(
            municipality=utrecht,
            name="Ondiep",
            slug="ondiep",
            meeting_place="Buurtcentrum De Leeuw, Amsterdamsestraatweg 300",
            meeting_rhythm="elke eerste donderdag van de maand, 19:30",
            meeting_weekday=3,  # Thursday
            meeting_week=1,
            meeting_time=time(19, 30),
        )
        PostcodeArea.objects.create(neighbourhood=ondiep, postcode="3553")

        police = Organisation.objects.create(
            name="Politie Midden-Nederland", kind=Organisation.Kind.POLICE
        )
        gemeente = Organisation.objects.create(
            name="Gemeente Utrecht", kind=Organisation.Kind.MUNICIPALITY
        )
        thuisbasis = Organisation.objects.create(
            name="Woningcorporatie Thuisbasis", kind=Organisation.Kind.HOUSING
        )
        woonkracht = Organisation.objects.create(
            name="Stichting Woonkracht", kind=Organisation.Kind.HOUSING
        )
        buurtwerk = Organisation.objects.create(
            name="Stichting Buurtwerk Utrecht", kind=Organisation.Kind.COMMUNITY_WORK
        )

        def team(
            hood: Neighbourhood,
            user: User,
            role: str,
            org: Organisation | None = None,
            title: str = "",
        ) -> None:
            Membership.objects.create(
                user=user,
                neighbourhood=hood,
                role=role,
                organisation=org,
                job_title=title,
                status=Membership.Status.ACTIVE,
            )

        chair = _person("Fatima el Amrani", "voorzitter@example.nl")
        team(kanaleneiland, chair, Role.CHAIR, buurtwerk, "Opbouwwerker")
        agent = _person("Kees de Vries", "wijkagent@example.nl")
        team(kanaleneiland, agent, Role.PROFESSIONAL, police, "Wijkagent")
        team(ondiep, agent, Role.PROFESSIONAL, police, "Wijkagent")
        civil = _person("Sanne Jansen", "gemeente@example.nl")
        team(kanaleneiland, civil, Role.PROFESSIONAL, gemeente, "Wijkadviseur")
        for name, email, org in [
            ("Dirk Hendriks", "thuisbasis@example.nl", thuisbasis),
            ("Ayse Demir", "woonkracht@example.nl", woonkracht),
        ]:
            team(kanaleneiland, _person(name, email), Role.PROFESSIONAL, org, "Wijkconsulent")
        office = _person("Ans Bakker", "buurtkantoor@example.nl")
        team(kanaleneiland, office, Role.OFFICE, title="Buurtkantoor")
        coordinator = _person("Pieter van Dijk", "coordinator@example.nl")
        Coordinator.objects.create(user=coordinator, municipality=utrecht)
        ondiep_chair = _person("Joost Peters", "voorzitter.ondiep@example.nl")
        team(ondiep, ondiep_chair, Role.CHAIR, buurtwerk, "Opbouwwerker")
        for user in (
            chair,
            agent,
            civil,
            office,
            coordinator,
            ondiep_chair,
            *User.objects.filter(email__in=["thuisbasis@example.nl", "woonkracht@example.nl"]),
        ):
            _second_factor(user)

        for hood, rows in ((kanaleneiland, RESIDENTS), (ondiep, ONDIEP_RESIDENTS)):
            for name, local, postcode, number, status in rows:
                email = f"{local}@example.nl" if local else ""
                user = _person(
                    name,
                    email,
                    postcode=postcode,
                    house_number=number,
                    consent_named_in_minutes=name.startswith(("A", "M")),
                )
                Membership.objects.create(
                    user=user, neighbourhood=hood, role=Role.RESIDENT, status=status
                )
        minute_taker = User.objects.get(email="annie@example.nl")
        Membership.objects.create(
            user=minute_taker,
            neighbourhood=kanaleneiland,
            role=Role.MINUTE_TAKER,
            status=Membership.Status.ACTIVE,
        )
        invite_codes_create(neighbourhood=kanaleneiland, by=chair, count=10)
        problems_demo.load(kanaleneiland, ondiep)
        meetings_demo.load(kanaleneiland, chair=chair, minute_taker=minute_taker)
        action_demo.load(kanaleneiland, chair=chair)
        meetings_demo.publish_past_minutes(kanaleneiland, chair=chair)
        for hood in (kanaleneiland, ondiep):
            meetings_plan_from_rhythm(neighbourhood=hood)
        # Ondiep's next meeting has its agenda out: its agenda mail is in var/mail/.
        meetings_demo.publish_next_agenda(ondiep)
        assert Authenticator.objects.filter(user=chair).count() == 2

    def _print_personas(self) -> None:
        codes = ", ".join(
            Neighbourhood.objects.get(slug="kanaleneiland-noord")
            .invite_codes.filter(used_at__isnull=True)
            .values_list("code", flat=True)[:3]
        )
        self.stdout.write(self.style.SUCCESS("Demo personas (log in with the code from the mail):"))
        rows = [
            ("Resident", "mohamed@example.nl"),
            ("Resident and minute-taker", "annie@example.nl"),
            ("Resident waiting for approval", "tomasz@example.nl"),
            ("Chair (community worker)", "voorzitter@example.nl"),
            ("Police officer (wijkagent)", "wijkagent@example.nl"),
            ("Municipality", "gemeente@example.nl"),
            ("Housing corporation", "thuisbasis@example.nl"),
            ("Neighbourhood office", "buurtkantoor@example.nl"),
            ("Coordinator", "coordinator@example.nl"),
            ("Chair of Ondiep (another neighbourhood)", "voorzitter.ondiep@example.nl"),
        ]
        for label, email in rows:
            self.stdout.write(f"  {label:<42} {email}")
        self.stdout.write(
            "\n  The login code arrives as a file in var/mail/.\n"
            "  Team members also need a second factor: add this secret to an authenticator\n"
            f"  app ({DEMO_TOTP_SECRET}) or run `make totp` for the current code.\n"
            f"  Invite codes for Kanaleneiland-Noord: {codes}\n"
        )
