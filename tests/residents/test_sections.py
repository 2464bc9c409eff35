"""The neighbourhood page shows what other apps register in residents.sections."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from residents import sections
from residents.sections import Section, SectionContext, neighbourhood_section


def test_meetings_and_problems_register_their_sections_in_order():
    names = [s.name for s in sorted(sections.SECTIONS.values(), key=lambda s: s.order)]
    assert names == [
        "next_meeting",
        "minutes",
        "vote_call",
        "problems",
        "last_vote",
        "register",
    ]


def test_a_name_registered_twice_is_refused():
    with pytest.raises(ValueError, match="registered twice"):
        neighbourhood_section("problems", "problems/neighbourhood_summary.html", order=99)(
            lambda ctx: {}
        )


def test_sections_come_in_order_each_with_its_own_context(monkeypatch, personas):
    seen: list[SectionContext] = []

    def late(ctx: SectionContext) -> dict[str, object]:
        seen.append(ctx)
        return {"which": "late"}

    monkeypatch.setattr(
        sections,
        "SECTIONS",
        {
            "late": Section(name="late", template="late.html", view=late, order=50),
            "early": Section(
                name="early", template="early.html", view=lambda ctx: {"which": 1}, order=5
            ),
        },
    )
    request = RequestFactory().get("/")
    found = sections.neighbourhood_sections(request, personas.hood)
    assert [(s["name"], s["template"], s["context"]) for s in found] == [
        ("early", "early.html", {"which": 1}),
        ("late", "late.html", {"which": "late"}),
    ]
    assert seen[0].neighbourhood == personas.hood and seen[0].request is request


def test_the_page_shows_the_registered_sections_between_header_and_team(client, personas):
    html = client.get(reverse("neighbourhood", args=[personas.hood.slug])).content.decode()
    order = [html.index(f'id="{anchor}"') for anchor in ("next-meeting", "priorities", "team")]
    assert order == sorted(order)


def test_a_section_not_registered_is_not_on_the_page(client, personas, monkeypatch):
    monkeypatch.delitem(sections.SECTIONS, "problems")
    monkeypatch.delitem(sections.SECTIONS, "register")
    html = client.get(reverse("neighbourhood", args=[personas.hood.slug])).content.decode()
    assert 'id="next-meeting"' in html and 'id="team"' in html
    assert 'id="priorities"' not in html and 'id="register"' not in html
