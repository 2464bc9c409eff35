"""The neighbourhood page shows its priorities and points to the register."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from problems.workflow import Status


def page_queries(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


def test_the_neighbourhood_page_lists_priorities_not_new_reports(
    client, personas, make_problem, english_pages
):
    make_problem(Status.PRIORITY, title="Inbraken in bergingen")
    make_problem(Status.NEW, title="Nog niet bekeken")
    make_problem(Status.PRIORITY, category="drugsoverlast", title="Dealen op nr. 8")
    url = reverse("neighbourhood", args=[personas.hood.slug])
    client.get(url)
    queries, text = page_queries(client, url)
    assert "Inbraken in bergingen" in text and "Drug nuisance near Marshalllaan" in text
    assert "Nog niet bekeken" not in text and "Dealen op nr. 8" not in text
    assert "2 problems are on the register." in text
    for _ in range(5):
        make_problem(Status.PRIORITY)
    assert page_queries(client, url)[0] == queries
