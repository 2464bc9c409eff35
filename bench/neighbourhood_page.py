"""Benchmark: the public neighbourhood page (/buurt/<slug>/), anonymous GET.

Ours: the real page of a neighbourhood with a support team of a chair and eight professionals
and about 300 residents, among six neighbourhoods in two municipalities. Bare: a view behind
the same middleware returning a static body of the same size (bench/bench_urls.py).

    .venv/bin/python bench/neighbourhood_page.py     # DATABASE_URL: PostgreSQL, see _harness

Prints RESULT lines: throughput relative to bare, our p95 latency and our req/s.
"""

from __future__ import annotations

import html
import random
import re
from dataclasses import dataclass

from _harness import Bench, BenchError, Target, bare_path, main, result, say

EMAIL_DOMAIN = "bench.invalid"
TARGET_SLUG = "bench-transvaal"

FIRST_NAMES = (  # noqa: SIM905 - readable as prose
    "Mohamed Annie Jeroen Yasmina Henk Lotte Emre Gerda Samir Marieke Ricardo Ilse Tomasz "
    "Nadia Bram Joke Fatima Kees Sanne Dirk Ayse Ans Pieter Joost Wim Fenna Karim Sevda Ruud "
    "Ingrid Hamza Noor Bas Chantal Youssef Esra Marco Petra Ahmet Lieke Dennis Zeynep Anouk "
    "Mustafa Willem Sara Kevin Latifa Johan Eva Rachid Marloes Thijs Hatice Frank Iris Bilal"
).split()
SURNAMES = (  # noqa: SIM905
    "Bouzid|de Groot|Smit|Ouali|Visser|Mulder|Yilmaz|Hoekstra|Haddou|Bos|Martis|van Leeuwen|"
    "Kowalski|Amrani|de Wit|Kramer|el Amrani|de Vries|Jansen|Hendriks|Demir|Bakker|van Dijk|"
    "Peters|Verhoeven|Dijkstra|Benali|Kaya|van den Berg|Meijer|Öztürk|de Jong|Janssen|"
    "Vermeulen|El Idrissi|Koster|Brouwer|Aydın|Postma|Willems|Boukhari|van der Linden|Prins|"
    "Şahin|Kuipers"
).split("|")

# (name, kind) of the organisations professionals work for.
ORGANISATIONS = [
    ("Politie Midden-Nederland", "police"),
    ("Gemeente Utrecht", "municipality"),
    ("Gemeente Amersfoort", "municipality"),
    ("Woningcorporatie Thuisbasis", "housing"),
    ("Stichting Woonkracht", "housing"),
    ("Portaal Utrecht", "housing"),
    ("Stichting Buurtwerk Utrecht", "community_work"),
    ("JoU Jongerenwerk", "youth_work"),
    ("Buurtteam Sociaal", "community_work"),
    ("Sportief Utrecht", "other"),
]

# The chair and eight professionals of the measured neighbourhood: (organisation, job title).
TARGET_CHAIR = ("Stichting Buurtwerk Utrecht", "Opbouwwerker")
TARGET_PROFESSIONALS = [
    ("Politie Midden-Nederland", "Wijkagent"),
    ("Gemeente Utrecht", "Wijkadviseur"),
    ("Gemeente Utrecht", "Handhaver (boa)"),
    ("Woningcorporatie Thuisbasis", "Wijkconsulent"),
    ("Stichting Woonkracht", "Wijkconsulent"),
    ("Portaal Utrecht", ""),  # no job title: the page shows the role instead
    ("JoU Jongerenwerk", "Jongerenwerker"),
    ("Buurtteam Sociaal", "Sociaal werker"),
]


@dataclass(frozen=True)
class Hood:
    slug: str
    name: str
    municipality: int  # index into MUNICIPALITIES
    postcode: str
    residents: int
    professionals: int


MUNICIPALITIES = [("Utrecht (benchmark)", "bench-utrecht"), ("Amersfoort (benchmark)", "bench-amf")]
HOODS = [
    Hood(TARGET_SLUG, "Transvaal", 0, "3581", 300, len(TARGET_PROFESSIONALS)),
    Hood("bench-lombok", "Lombok", 0, "3531", 150, 6),
    Hood("bench-ondiep", "Ondiep", 0, "3553", 120, 5),
    Hood("bench-overvecht-noord", "Overvecht-Noord", 0, "3562", 200, 7),
    Hood("bench-soesterkwartier", "Soesterkwartier", 1, "3812", 90, 4),
    Hood("bench-kruiskamp", "Kruiskamp", 1, "3817", 110, 5),
]


def build_data() -> list[str]:
    """Replace the benchmark's data (and only that); return the measured team's names."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from residents.models import (
        Membership,
        Municipality,
        Neighbourhood,
        Organisation,
        PostcodeArea,
        Role,
        User,
    )

    rng = random.Random(20240611)  # the same data on every run
    used_names: set[str] = set()
    users: list[User] = []

    def person(postcode: str = "", number: str = "") -> User:
        while True:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
            if name not in used_names:
                break
        used_names.add(name)
        user = User(
            email=f"user{len(users) + 1}@{EMAIL_DOMAIN}",
            display_name=name,
            postcode=postcode,
            house_number=number,
            consent_named_in_minutes=rng.random() < 0.4,
            password=make_password(None),
        )
        users.append(user)
        return user

    with transaction.atomic():
        say("removing the previous run's benchmark data")
        User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").delete()
        Neighbourhood.objects.filter(slug__in=[h.slug for h in HOODS]).delete()

        say("building data: 2 municipalities, 6 neighbourhoods, teams and residents")
        municipalities = [
            Municipality.objects.get_or_create(slug=slug, defaults={"name": name})[0]
            for name, slug in MUNICIPALITIES
        ]
        orgs = {
            name: Organisation.objects.get_or_create(name=name, defaults={"kind": kind})[0]
            for name, kind in ORGANISATIONS
        }
        plans: list[tuple[User, Neighbourhood, dict[str, object]]] = []
        target_team: list[User] = []
        # One wijkagent (first professional) covers two neighbourhoods, as in real life.
        shared_agent = person()
        for hood_spec in HOODS:
            hood = Neighbourhood.objects.create(
                municipality=municipalities[hood_spec.municipality],
                name=hood_spec.name,
                slug=hood_spec.slug,
                description=f"De buurt {hood_spec.name}: bewoners, professionals en de gemeente "
                "werken samen aan een veilige en prettige wijk.\nIedereen is welkom.",
                meeting_place="Buurthuis De Linde, Marshalllaan 10",
                meeting_rhythm="elke tweede dinsdag van de maand, 19:30",
            )
            PostcodeArea.objects.create(neighbourhood=hood, postcode=hood_spec.postcode)
            active = {"status": Membership.Status.ACTIVE}
            is_target = hood_spec.slug == TARGET_SLUG
            chair = person()
            org, title = TARGET_CHAIR
            plans.append(
                (
                    chair,
                    hood,
                    {**active, "role": Role.CHAIR, "organisation": orgs[org], "job_title": title},
                )
            )
            if is_target:
                target_team.append(chair)
                professionals = TARGET_PROFESSIONALS
            else:
                # Every neighbourhood has a wijkagent; the rest of the team varies.
                others = rng.sample(TARGET_PROFESSIONALS[1:], hood_spec.professionals - 1)
                professionals = [TARGET_PROFESSIONALS[0], *others]
            for i, (org, title) in enumerate(professionals):
                pro = (
                    shared_agent
                    if i == 0 and hood_spec.slug in {TARGET_SLUG, "bench-lombok"}
                    else person()
                )
                if is_target:
                    target_team.append(pro)
                plans.append(
                    (
                        pro,
                        hood,
                        {
                            **active,
                            "role": Role.PROFESSIONAL,
                            "organisation": orgs[org],
                            "job_title": title,
                        },
                    )
                )
            # Someone who left the team (not shown) and the neighbourhood office (not shown).
            plans.append(
                (
                    person(),
                    hood,
                    {
                        "status": Membership.Status.LEFT,
                        "role": Role.PROFESSIONAL,
                        "organisation": orgs["Gemeente Utrecht"],
                        "job_title": "Wijkadviseur",
                    },
                )
            )
            plans.append(
                (person(), hood, {**active, "role": Role.OFFICE, "job_title": "Buurtkantoor"})
            )
            residents = []
            for n in range(hood_spec.residents):
                street = chr(ord("A") + n // 60)
                resident = person(
                    f"{hood_spec.postcode}{street}{chr(ord('A') + n % 20)}", str(n % 120 + 1)
                )
                residents.append(resident)
                roll = rng.random()
                status = (
                    Membership.Status.ACTIVE
                    if roll < 0.85
                    else Membership.Status.PENDING
                    if roll < 0.95
                    else Membership.Status.LEFT
                )
                plans.append((resident, hood, {"status": status, "role": Role.RESIDENT}))
            plans.append((residents[1], hood, {**active, "role": Role.MINUTE_TAKER}))

        User.objects.bulk_create(users, batch_size=500)
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users],
            batch_size=500,
        )
        Membership.objects.bulk_create(
            [Membership(user=u, neighbourhood=h, **fields) for u, h, fields in plans],
            batch_size=500,
        )
    target = Neighbourhood.objects.get(slug=TARGET_SLUG)
    say(
        f"data: {len(users)} people, {len(plans)} memberships; {target.name} has "
        f"{target.memberships.filter(role=Role.RESIDENT).count()} residents and a team of "
        f"{target.memberships.team().count()} (chair and professionals)"
    )
    return [u.display_name for u in target_team]


def run() -> None:
    with Bench("neighbourhood_page") as bench:
        bench.prepare_database()
        from django.conf import settings

        team = build_data()
        path = f"/buurt/{TARGET_SLUG}/"

        queries = bench.count_queries(path)
        say(f"{path} runs {len(queries)} SQL queries per anonymous request:")
        for sql in queries:
            say("    " + re.sub(r"^SELECT .*? FROM ", "SELECT ... FROM ", sql)[:160])
        db = settings.DATABASES["default"]
        if db.get("CONN_MAX_AGE") and db.get("CONN_HEALTH_CHECKS"):
            say("    (plus a SELECT 1 per request: CONN_HEALTH_CHECKS on a persistent connection)")

        with bench.server() as server:
            ours = Target("ours", server.url(path))
            page = ours.check()
            text = page.body.decode()
            missing = [name for name in team if html.escape(name) not in text]
            if missing:
                raise BenchError(f"the page does not show these team members: {missing}")
            size = len(page.body)
            bare = Target("bare", server.url(bare_path(size)))
            if len(bare.check().body) != size:
                raise BenchError("the bare view's body is not the size of the page")
            say(f"page is {size} bytes and lists all {len(team)} team members; bare matches")
            comparison = bench.alternate(ours, bare, server=server)

    result("neighbourhood_page_vs_bare", comparison.ratio, "ratio")
    result("neighbourhood_page_p95", comparison.ours_p95_ms, "ms", digits=1)
    result("neighbourhood_page_rps", comparison.ours_rps, "req/s", digits=0)


if __name__ == "__main__":
    main(run)
