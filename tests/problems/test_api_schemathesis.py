"""The open data API against its own OpenAPI schema, by a client we did not write (schemathesis).

In-process through the project's WSGI app, on the test database: for every operation, valid
and invalid generated requests answer without a server error, with a documented status code
and content type and a body that matches the schema, and no private marker appears.

The schema is the one /api/schema/ serves (asserted below), generated once at collection:
schemathesis's fixture-based loader does not work with pytest 9.2 (it reads a removed
`Node._nodeid`), so the schema cannot come from a request inside a fixture.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import reverse
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok

from tests.support import assert_no_markers

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
WSGI_HOST = "localhost"  # the Host schemathesis's WSGI client sends


def generated_schema() -> dict[str, Any]:
    with translation.override("en"):
        schema = SchemaGenerator().get_schema(request=None, public=True)
        return json.loads(OpenApiJsonRenderer().render(schema))


SCHEMA = generated_schema()
schema = schemathesis.openapi.from_dict(SCHEMA)


@pytest.fixture
def wsgi_app(settings) -> Iterator[Any]:
    # Hundreds of requests from one client: lift the per-IP limit for this test only.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "100000/min"},
    }
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, WSGI_HOST]
    # As Django's test client does: a finished request must not close the connection that
    # holds this test's transaction (PostgreSQL would lose the test data).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # Built now, so that its middleware sees this test's settings (plain HTTP among them).
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_schema_tested_is_the_one_the_api_serves(client, db):
    response = client.get(reverse("api_schema"), {"format": "json", "lang": "en"})
    assert response.status_code == 200
    assert response.json() == SCHEMA


def test_every_operation_is_tested():
    operations = {
        (result.ok().method, result.ok().path)
        for result in schema.get_all_operations()
        if isinstance(result, Ok)
    }
    assert len(operations) == len(list(schema.get_all_operations()))
    assert operations == {
        ("get", "/api/neighbourhoods/"),
        ("get", "/api/categories/"),
        ("get", "/api/problems/"),
        ("get", "/api/problems/{id}/"),
    }


@schema.parametrize()
@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_to_its_schema_and_its_secrets(case, planted, wsgi_app):
    response = case.call_and_validate(app=wsgi_app, checks=CHECKS)
    assert_no_markers(response.text)
    assert_no_markers(str(response.headers))
