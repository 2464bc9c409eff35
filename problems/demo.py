"""Demo problems for `manage.py demo`: about forty, across the categories and statuses, with
supports, timelines, a merged pair, a sensitive one and a few new ones awaiting moderation.

Everything goes through the services; only the dates are moved back afterwards, so the
register looks like a year of use (ages, "likely chronic").
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.utils import timezone

from buurtoverleg.mail.models import Delivery
from problems.mail_kinds import ProblemMail
from problems.models import Category, Problem, TimelineEntry
from problems.services import (
    CHRONIC_TESTS,
    problem_confirm_chronic,
    problem_report,
    problem_support,
    problem_transition,
)
from problems.workflow import MEETING, ROUND, Move
from residents.models import Membership, Neighbourhood, Role, User

# (category slug, title, description, street, landmark or numbers, status)
PROBLEMS = [
    (
        "zwerfvuil",
        "Afval naast de ondergrondse containers",
        "Op maandag staan er zakken en grofvuil naast de containers; meeuwen trekken ze open.",
        "Marshalllaan",
        "bij nr. 40-60",
        "priority",
    ),
    (
        "zwerfvuil",
        "Zwerfvuil op het grasveld achter de school",
        "Na schooltijd blijven chipszakken en blikjes liggen.",
        "Columbuslaan",
        "achter de basisschool",
        "accepted",
    ),
    (
        "zwerfvuil",
        "Grofvuil bij de flat blijft weken staan",
        "Banken en matrassen staan soms drie weken bij de ingang.",
        "Trumanlaan",
        "nr. 1-35",
        "candidate",
    ),
    (
        "zwerfvuil",
        "Hondenpoep op het speelveldje",
        "Kinderen kunnen er niet meer spelen.",
        "Aziëlaan",
        "speelveld",
        "accepted",
    ),
    (
        "zwerfvuil",
        "Volle prullenbakken in het weekend",
        "De bakken langs het kanaal zijn op zondag altijd vol.",
        "Van Zijstweg",
        "langs het kanaal",
        "declined",
    ),
    (
        "leegstand",
        "Leegstaand winkelpand raakt in verval",
        "Het pand staat al twee jaar leeg, de ramen zijn dichtgetimmerd en er wordt in geslapen.",
        "Bernadottelaan",
        "hoek Columbuslaan",
        "priority",
    ),
    (
        "leegstand",
        "Dichtgetimmerde portiek trekt hangjongeren",
        "De portiek van het leegstaande blok is een hangplek geworden.",
        "Churchilllaan",
        "nr. 200",
        "accepted",
    ),
    (
        "jeugdoverlast",
        "Groep jongeren bij het winkelcentrum 's avonds",
        "Geschreeuw, harde muziek en scooters tot na middernacht.",
        "Europaplein",
        "winkelcentrum",
        "priority",
    ),
    (
        "jeugdoverlast",
        "Scooters racen over het fietspad",
        "Elke avond rond 22 uur rijden scooters met hoge snelheid over het fietspad.",
        "Rooseveltlaan",
        "tussen nr. 100 en 180",
        "candidate",
    ),
    (
        "jeugdoverlast",
        "Hangplek bij het speeltuintje",
        "Jongeren zitten op het klimrek, er ligt lachgas.",
        "Afrikalaan",
        "speeltuin",
        "accepted",
    ),
    (
        "drugsoverlast",
        "Drugsoverlast in de portiek",
        "Er wordt gedeald in de portiek van nr. 88; bewoners zien steeds dezelfde auto's.",
        "Marshalllaan",
        "nr. 88",
        "accepted",
    ),
    (
        "verkeer",
        "Te hard rijden op de Trumanlaan",
        "Auto's rijden veel te hard langs de school.",
        "Trumanlaan",
        "bij de school",
        "accepted",
    ),
    (
        "verkeer",
        "Foutparkeren op de stoep",
        "Busjes parkeren op de stoep; met een kinderwagen of rolstoel kom je er niet langs.",
        "Amerikalaan",
        "",
        "candidate",
    ),
    (
        "verkeer",
        "Onoverzichtelijke oversteek bij de tramhalte",
        "Je ziet de tram pas laat aankomen.",
        "Van Zijstweg",
        "tramhalte",
        "parked",
    ),
    (
        "verlichting",
        "Donker pad langs het kanaal",
        "Het fietspad langs het kanaal is 's avonds aardedonker; mensen voelen zich onveilig.",
        "Van Zijstweg",
        "tussen de bruggen",
        "resolved",
    ),
    (
        "verlichting",
        "Lantaarnpalen in het park gaan vroeg uit",
        "Na 23 uur is het park donker.",
        "Aziëlaan",
        "park",
        "accepted",
    ),
    (
        "groen",
        "Verwaarloosd speelveld",
        "Het gras is kaal, de goals zijn kapot.",
        "Australiëlaan",
        "trapveldje",
        "accepted",
    ),
    (
        "groen",
        "Struiken zo hoog dat je niet ziet wie er staat",
        "De struiken bij het fietspad zijn een verstopplek.",
        "Columbuslaan",
        "fietspad",
        "resolved",
    ),
    (
        "geluid",
        "Geluidsoverlast van feesten in de bedrijfsruimte",
        "In het weekend tot vier uur 's nachts harde muziek.",
        "Bernadottelaan",
        "bedrijfsruimte onder de flat",
        "accepted",
    ),
    (
        "geluid",
        "Claxonnerende taxi's 's nachts",
        "Taxi's toeteren voor de flat om mensen op te halen.",
        "Trumanlaan",
        "",
        "new",
    ),
    (
        "vandalisme",
        "Graffiti op de geluidswal",
        "Steeds nieuwe tags op de wal langs de snelweg.",
        "Churchilllaan",
        "geluidswal",
        "accepted",
    ),
    (
        "vandalisme",
        "Vernielde fietsenstalling",
        "De stalling bij de flat wordt steeds opengebroken.",
        "Rooseveltlaan",
        "nr. 50",
        "candidate",
    ),
    (
        "inbraak",
        "Inbraken in bergingen",
        "In drie maanden zijn in ons blok zes bergingen opengebroken.",
        "Marshalllaan",
        "nr. 100-140",
        "priority",
    ),
    (
        "inbraak",
        "Onveilig gevoel bij de onderdoorgang",
        "Vooral vrouwen lopen 's avonds om.",
        "Churchilllaan",
        "onderdoorgang",
        "accepted",
    ),
    (
        "overig",
        "Ratten bij de containers",
        "Er lopen ratten rond de containers en in de tuinen.",
        "Aziëlaan",
        "",
        "accepted",
    ),
    (
        "overig",
        "Duiven voeren op het balkon",
        "Een bewoner voert dagelijks duiven; alles zit onder de poep.",
        "Afrikalaan",
        "nr. 12",
        "declined",
    ),
    (
        "zwerfvuil",
        "Bergen afval na de markt",
        "Na de markt op zaterdag blijft veel afval liggen.",
        "Europaplein",
        "",
        "accepted",
    ),
    (
        "jeugdoverlast",
        "Vuurwerk in de weken voor oud en nieuw",
        "Al vanaf november wordt er zwaar vuurwerk afgestoken in de portieken.",
        "Trumanlaan",
        "",
        "accepted",
    ),
    (
        "verkeer",
        "Sluipverkeer door de woonstraat",
        "In de spits rijdt veel verkeer door onze straat om het stoplicht te ontwijken.",
        "Australiëlaan",
        "",
        "accepted",
    ),
    (
        "leegstand",
        "Verwaarloosde tuin bij leegstaande woning",
        "Onkruid tot op de stoep, ratten.",
        "Afrikalaan",
        "nr. 30",
        "accepted",
    ),
    (
        "groen",
        "Bankjes in het park kapot",
        "Ouderen kunnen nergens zitten.",
        "Aziëlaan",
        "park",
        "accepted",
    ),
    (
        "geluid",
        "Blaffende honden in de flat",
        "Honden blaffen de hele dag als de eigenaar weg is.",
        "Rooseveltlaan",
        "nr. 77",
        "new",
    ),
    ("zwerfvuil", "Sigarettenpeuken bij de ingang van de flat", "", "Marshalllaan", "nr. 2", "new"),
    (
        "vandalisme",
        "Bushokje telkens vernield",
        "Het glas van het bushokje is dit jaar al vier keer kapot.",
        "Columbuslaan",
        "bushalte",
        "new",
    ),
]
# Ondiep has a register of its own.
ONDIEP_PROBLEMS = [
    (
        "zwerfvuil",
        "Afval rond de glasbak",
        "Glas en dozen naast de glasbak.",
        "Amsterdamsestraatweg",
        "bij nr. 400",
        "accepted",
    ),
    (
        "verkeer",
        "Fietsers op de stoep",
        "Fietsers rijden over de stoep om de drukte te ontwijken.",
        "Ondiep-Zuidzijde",
        "",
        "accepted",
    ),
    (
        "jeugdoverlast",
        "Overlast bij het voetbalveldje",
        "Tot laat in de avond.",
        "Cartesiusweg",
        "",
        "candidate",
    ),
    ("geluid", "Bouwlawaai voor zeven uur", "", "Ondiep-Zuidzijde", "", "new"),
]


def load(hood: Neighbourhood, ondiep: Neighbourhood) -> None:
    rng = random.Random(2026)  # noqa: S311 - the same register on every fresh demo
    now = timezone.now()
    chair = _chair(hood)
    for where, rows in ((hood, PROBLEMS), (ondiep, ONDIEP_PROBLEMS)):
        residents = list(
            User.objects.filter(
                memberships__neighbourhood=where,
                memberships__role=Role.RESIDENT,
                memberships__status=Membership.Status.ACTIVE,
            ).order_by("pk")
        )
        where_chair = _chair(where)
        for number, (slug, title, description, street, detail, status) in enumerate(rows):
            reporter = residents[number % len(residents)]
            category = Category.objects.get(slug=slug)
            problem = problem_report(
                neighbourhood=where,
                reporter=reporter,
                category=category,
                title=title,
                description=description or title,
                street=street,
                location_detail=detail,
                times_of_day=rng.sample(["morning", "afternoon", "evening", "night"], 2),
                days_of_week=rng.sample(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], 3),
                since=rng.choice(["sinds de zomer", "al jaren", "sinds een paar maanden", ""]),
                # Some agree to be named to logged-in neighbours; a reporter of drug nuisance
                # wants to stay anonymous, and says so in the confidential details.
                reporter_name_public=number % 5 == 0 and not category.sensitive,
                confidential_details="Melder woont op nummer 88 en wil anoniem blijven."
                if category.sensitive
                else "",
            )
            _walk(problem, status, where_chair)
            if status != "new":
                for supporter in rng.sample(residents, min(len(residents), rng.randint(0, 7))):
                    if supporter != reporter and problem.is_open:
                        problem_support(problem=problem, user=supporter)
            _age(problem, now - timedelta(days=rng.randint(5 if status == "new" else 20, 330)))
    # A merged pair: a second report of the dumped waste, merged into the first.
    first = Problem.objects.get(neighbourhood=hood, title=PROBLEMS[0][1])
    double = problem_report(
        neighbourhood=hood,
        reporter=User.objects.get(email="annie@example.nl"),
        category=first.category,
        title="Vuilniszakken naast de containers",
        description="Elke week weer zakken naast de containers.",
        street="Marshalllaan",
    )
    problem_transition(problem=double, move=Move.ACCEPT, actor=chair, actors={"chair"})
    problem_transition(
        problem=double,
        move=Move.MERGE,
        actor=chair,
        actors={"chair"},
        public_note="Dit is hetzelfde probleem als de melding over afval bij de containers.",
        into=first,
    )
    shop = Problem.objects.get(neighbourhood=hood, title=PROBLEMS[5][1])
    problem_confirm_chronic(
        problem=shop,
        actor=chair,
        role="chair",
        tests=dict.fromkeys((key for key, _label in CHRONIC_TESTS), True),
        note="Besproken in drie overleggen; blijft terugkomen.",
    )
    as_if_sent_back_then([hood, ondiep])


def as_if_sent_back_then(neighbourhoods: list[Neighbourhood]) -> None:
    """The followers heard of these changes when they happened, months ago: the demo's
    history goes into the ledger as sent, and `make run` mails nobody about it now."""
    deliveries = Delivery.objects.filter(
        mailing__kind=ProblemMail.PROBLEM_STATUS,
        mailing__neighbourhood__in=neighbourhoods,
        status=Delivery.Status.QUEUED,
    )
    deliveries.update(status=Delivery.Status.SENT, sent_at=timezone.now(), attempts=1)


def _chair(hood: Neighbourhood) -> User:
    return User.objects.get(
        memberships__neighbourhood=hood,
        memberships__role=Role.CHAIR,
        memberships__status=Membership.Status.ACTIVE,
    )


NOTES = {
    Move.DECLINE: "Dit is een eenmalig defect; meld het bij de gemeente via Slim melden.",
    Move.PARK: "Wacht op de herinrichting van de kruising in 2027.",
    Move.RESOLVE: "Besloten in het overleg: opgelost, de maatregelen werken.",
}
PATHS = {
    "new": [],
    "accepted": [Move.ACCEPT],
    "declined": [Move.DECLINE],
    "candidate": [Move.ACCEPT, Move.NOMINATE],
    "priority": [Move.ACCEPT, Move.NOMINATE, Move.PRIORITISE],
    "resolved": [Move.ACCEPT, Move.NOMINATE, Move.PRIORITISE, Move.RESOLVE],
    "parked": [Move.ACCEPT, Move.PARK],
}


ACTORS = {Move.PRIORITISE: {ROUND}, Move.RESOLVE: {MEETING}}


def _walk(problem: Problem, status: str, chair: User) -> None:
    for move in PATHS[status]:
        actor_roles = ACTORS.get(move, {"chair"})
        problem_transition(
            problem=problem,
            move=move,
            actor=chair if "chair" in actor_roles else None,
            actors=actor_roles,
            public_note=NOTES.get(move, ""),
        )


def _age(problem: Problem, reported: datetime) -> None:
    """Move the problem's dates back: reported then, each later entry some days on."""
    entries = list(TimelineEntry.objects.filter(problem=problem).order_by("pk"))
    step = (timezone.now() - reported) / (len(entries) + 1)
    at = reported
    for entry in entries:
        TimelineEntry.objects.filter(pk=entry.pk).update(at=at)
        at += step
    Problem.objects.filter(pk=problem.pk).update(
        created_at=reported,
        accepted_at=reported + step if problem.status != "new" else None,
        activity_at=at,
    )
