"""Sections: what other apps show on a neighbourhood's page, each one template partial.

A section is one template partial and one function giving its context, registered under a
name with an order (lower comes first):

    @neighbourhood_section("next_meeting", "meetings/neighbourhood_next_meeting.html", order=10)
    def next_meeting(ctx: SectionContext) -> dict[str, Any]:
        return {"next_meeting": ...}

The page (residents.views.neighbourhood) renders the registered sections in order between its
own header and the support team, each partial seeing the page's context plus its own. The
apps above residents register theirs by importing their sections module from their
AppConfig.ready(); residents imports none of them.

A section's function must not run a query per row: the page's query count is asserted
(tests/residents/test_neighbourhood_page.py). A section with nothing to show renders nothing
(its partial decides); the function always returns a dict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from buurtoverleg.sections import Section, register_section, render_sections
from residents.models import Neighbourhood


@dataclass(frozen=True)
class SectionContext:
    request: HttpRequest
    neighbourhood: Neighbourhood
    # Two sections of one app that read the same rows share them here, for one page render.
    shared: dict[str, Any] = field(default_factory=dict)


SectionView = Callable[[SectionContext], dict[str, Any]]


SECTIONS: dict[str, Section] = {}  # Section: buurtoverleg.sections, the shared mechanism


def neighbourhood_section[F: SectionView](
    name: str, template: str, *, order: int
) -> Callable[[F], F]:
    """Register `view` as the context of `template` on the neighbourhood page."""
    return register_section(SECTIONS, "neighbourhood", name, template, order)


def neighbourhood_sections(request: HttpRequest, hood: Neighbourhood) -> list[dict[str, Any]]:
    """The registered sections in order (buurtoverleg.sections.render_sections)."""
    return render_sections(SECTIONS, SectionContext(request=request, neighbourhood=hood))
