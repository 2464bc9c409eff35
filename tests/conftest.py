"""Shared personas and service switches for the whole suite.

Tests use PostgreSQL when DATABASE_URL is set and SQLite otherwise. With REQUIRE_SERVICES=1
(CI) a test that needs PostgreSQL, Redis or the browser fails instead of skipping.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.db import connection
from django.utils import timezone

from residents.models import (
    Coordinator,
    InviteCode,
    Membership,
    Municipality,
    Neighbourhood,
    Organisation,
    PostcodeArea,
    Role,
    User,
)

# The shared builders and helpers assert too: pytest explains their failures as a test's own.
pytest.register_assert_rewrite("tests.factories", "tests.support")

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def require_service(name: str, available: bool, reason: str) -> None:
    """Skip (locally) or fail (CI) when a real service a test depends on is missing."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is required (REQUIRE_SERVICES=1) but {reason}")
    pytest.skip(f"{name} not available: {reason}")


@pytest.fixture
def postgres() -> None:
    require_service(
        "PostgreSQL",
        connection.vendor == "postgresql",
        f"the tests run on {connection.vendor}; set DATABASE_URL",
    )


@pytest.fixture(autouse=True)
def _plain_http(settings) -> None:
    # Production settings redirect to HTTPS; the test client speaks plain HTTP.
    settings.SECURE_SSL_REDIRECT = False
    # Tests do not run collectstatic, so serve static names as they are.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Tasks run in-process in tests, except integration tests, which use a real worker."""
    from buurtoverleg.celery import app

    if request.node.get_closest_marker("integration"):
        yield
        return
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


@pytest.fixture
def redis_url() -> str:
    import redis
    from django.conf import settings

    url = settings.REDIS_URL
    ok, reason = False, "REDIS_URL is not set"
    if url:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
            ok = True
        except redis.RedisError as exc:
            reason = f"{url} does not answer ({exc})"
    require_service("Redis", ok, reason)
    return url


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    from django.core.cache import cache

    from problems.models import categories_forget

    cache.clear()
    categories_forget()  # the per-process category list: a rolled-back test leaves no trace


def make_person(name: str, email: str | None, **extra) -> User:
    user = User.objects.create_user(email=email, display_name=name, **extra)
    if email:
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def give_second_factor(user: User) -> None:
    TOTP.activate(user, TOTP_SECRET)
    RecoveryCodes.activate(user)


def pass_second_factor(client, user: User) -> None:
    """Write into the client's session what allauth records when a login passes TOTP (the
    real flow is tested in tests/residents/test_login.py and test_confidential_log.py)."""
    from allauth.account.internal.flows.login import record_authentication
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.session = client.session
    record_authentication(request, user, "mfa", type="totp")
    request.session.save()


@dataclass
class Personas:
    municipality: Municipality
    hood: Neighbourhood
    other_hood: Neighbourhood
    police: Organisation
    housing: Organisation
    resident: User
    second_resident: User
    paper_resident: User
    pending_resident: User
    chair: User
    minute_taker: User
    wijkagent: User
    housing_contact: User
    office: User
    coordinator: User
    outsider: User
    outsider_chair: User

    def by_name(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


PERSONA_NAMES = [
    "anonymous",
    "resident",
    "second_resident",
    "pending_resident",
    "chair",
    "minute_taker",
    "wijkagent",
    "housing_contact",
    "office",
    "coordinator",
    "outsider",
    "outsider_chair",
]


def seed_categories() -> None:
    """The categories the migration seeds. A transactional test (the browser tests) empties
    every table afterwards, so tests that run after one would find none."""
    from django.apps import apps

    migration = import_module("problems.migrations.0002_seed_categories_and_trigram")
    if not apps.get_model("problems", "Category").objects.exists():
        migration.seed(apps, None)


@pytest.fixture
def personas(db) -> Personas:
    return make_personas()


def make_personas() -> Personas:
    """The personas, for fixtures of a wider scope than a test (see test_privacy_markers)."""
    seed_categories()
    municipality = Municipality.objects.create(name="Utrecht", slug="utrecht")
    other_municipality = Municipality.objects.create(name="Zaandam", slug="zaandam")
    hood = Neighbourhood.objects.create(
        municipality=municipality, name="Kanaleneiland-Noord", slug="kanaleneiland-noord"
    )
    PostcodeArea.objects.create(neighbourhood=hood, postcode="3527")
    other_hood = Neighbourhood.objects.create(
        municipality=other_municipality, name="Poelenburg", slug="poelenburg"
    )
    PostcodeArea.objects.create(neighbourhood=other_hood, postcode="1503")
    police = Organisation.objects.create(
        name="Politie Midden-Nederland", kind=Organisation.Kind.POLICE
    )
    housing = Organisation.objects.create(
        name="Woningcorporatie Thuisbasis", kind=Organisation.Kind.HOUSING
    )
    community = Organisation.objects.create(name="Buurtwerk", kind=Organisation.Kind.COMMUNITY_WORK)

    def member(
        user: User,
        where: Neighbourhood,
        role: str,
        status: str = "active",
        org: Organisation | None = None,
    ) -> User:
        Membership.objects.create(
            user=user, neighbourhood=where, role=role, status=status, organisation=org
        )
        return user

    resident = member(
        make_person("Mohamed Bouzid", "mohamed@example.nl", postcode="3527AB", house_number="12"),
        hood,
        Role.RESIDENT,
    )
    second = member(
        make_person("Annie de Groot", "annie@example.nl", postcode="3527AB", house_number="14"),
        hood,
        Role.RESIDENT,
    )
    paper = member(
        make_person("Joke Kramer", None, postcode="3527EB", house_number="5"), hood, Role.RESIDENT
    )
    pending = member(
        make_person("Tomasz Kowalski", "tomasz@example.nl"), hood, Role.RESIDENT, status="pending"
    )
    chair = member(
        make_person("Fatima el Amrani", "voorzitter@example.nl"), hood, Role.CHAIR, org=community
    )
    minute_taker = member(make_person("Lotte Mulder", "lotte@example.nl"), hood, Role.RESIDENT)
    member(minute_taker, hood, Role.MINUTE_TAKER)
    wijkagent = member(
        make_person("Kees de Vries", "wijkagent@example.nl"), hood, Role.PROFESSIONAL, org=police
    )
    housing_contact = member(
        make_person("Dirk Hendriks", "thuisbasis@example.nl"), hood, Role.PROFESSIONAL, org=housing
    )
    office = member(make_person("Ans Bakker", "buurtkantoor@example.nl"), hood, Role.OFFICE)
    coordinator = make_person("Pieter van Dijk", "coordinator@example.nl")
    Coordinator.objects.create(user=coordinator, municipality=municipality)
    outsider = member(make_person("Wim Verhoeven", "wim@example.nl"), other_hood, Role.RESIDENT)
    outsider_chair = member(
        make_person("Joost Peters", "joost@example.nl"), other_hood, Role.CHAIR, org=community
    )
    for user in (chair, wijkagent, housing_contact, office, coordinator, outsider_chair):
        give_second_factor(user)
    return Personas(
        municipality,
        hood,
        other_hood,
        police,
        housing,
        resident,
        second,
        paper,
        pending,
        chair,
        minute_taker,
        wijkagent,
        housing_contact,
        office,
        coordinator,
        outsider,
        outsider_chair,
    )


@pytest.fixture
def invite_code(personas: Personas) -> InviteCode:
    return InviteCode.objects.create(
        neighbourhood=personas.hood,
        created_by=personas.chair,
        expires_at=timezone.now() + timedelta(days=30),
    )


@pytest.fixture
def login(client, settings):
    """Log a persona in directly (the login flow itself is tested in test_login), having
    passed the second factor if they have one, as allauth's login makes them.

    A language chosen on this "device" (the cookie) survives, as it does in a browser.
    """

    def _login(user: User | None):
        language = client.cookies.get(settings.LANGUAGE_COOKIE_NAME)
        client.logout()
        if language is not None:
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language.value
        if user is not None:
            client.force_login(user)
            if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                pass_second_factor(client, user)
        return client

    return _login


@pytest.fixture
def english_pages(settings, client) -> None:
    """Assert on the English source strings, whatever the catalogues translate."""
    settings.LANGUAGE_CODE = "en"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def expected_status(persona: str, allowed: set[str], ok: int) -> int:
    """What a view answers a persona: login redirect, the page, or 403."""
    if persona == "anonymous":
        return 302
    return ok if persona in allowed else 403


def assert_status(response, persona: str, allowed: set[str], ok: int) -> None:
    from django.urls import reverse

    assert response.status_code == expected_status(persona, allowed, ok), persona
    if persona == "anonymous":
        assert response.url.startswith(reverse("account_login"))


@pytest.fixture
def as_persona(login, personas, english_pages):
    """Log a persona in, with English pages so assertions do not depend on translations."""
    return lambda name: login(personas.by_name(name))
