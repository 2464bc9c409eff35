"""Panels: what the agenda screen and the projector show for an item, per item kind.

A panel is one template partial and one view function, registered for an agenda-item kind:

    @panel(AgendaItem.Kind.NEW_PROBLEMS, "meetings/panels/new_problems.html")
    def new_problems(ctx: PanelContext) -> dict[str, Any]:
        return {"problems": ...}

The agenda screen (ctx.public False: the team may see confidential details) and the projector
(ctx.public True: public fields only, never a reporter's name) render the same panel. Later
issues register their own (the priority round's vote panel, the actions' Aanpak and
Terugkoppeling panels) by importing this module; a kind without a panel shows an honest empty
state (templates/meetings/panels/_none.html).

A panel's view must not run a query per problem or per item: the screens' query counts are
asserted at two sizes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from meetings.planning.models import AgendaItem, Meeting

NO_PANEL = "meetings/panels/_none.html"


@dataclass(frozen=True)
class PanelContext:
    request: HttpRequest
    meeting: Meeting
    item: AgendaItem
    public: bool  # the projector: public fields only
    team: bool = False  # the viewer may see confidential details (the agenda screen only)


@dataclass(frozen=True)
class Panel:
    kind: str
    template: str
    view: Callable[[PanelContext], dict[str, Any]]


PANELS: dict[str, Panel] = {}


def panel(kind: str, template: str) -> Callable[[Callable[[PanelContext], dict[str, Any]]], Any]:
    def register(view: Callable[[PanelContext], dict[str, Any]]) -> Any:
        if kind in PANELS:
            raise ValueError(f"a panel for {kind!r} is registered twice")
        PANELS[kind] = Panel(kind=kind, template=template, view=view)
        return view

    return register


def panel_render_context(ctx: PanelContext) -> dict[str, Any]:
    """The template to include and its context, or the empty state for kinds without one."""
    found = PANELS.get(ctx.item.kind)
    if found is None:
        return {"panel_template": NO_PANEL, "panel": {"item": ctx.item, "public": ctx.public}}
    return {
        "panel_template": found.template,
        "panel": {"item": ctx.item, "public": ctx.public, **found.view(ctx)},
    }


def maybe_url(name: str, *args: Any) -> str:
    """A page another part of the app may provide (the ballot page): "" while it is not there.
    Panels link to each other's pages through it, so that no panel imports another."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""
