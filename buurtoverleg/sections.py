"""The one mechanism behind a page's sections registry (residents.sections for the
neighbourhood page, problems.problem_sections for a problem's page).

A page that shows parts owned by higher apps keeps a dict of Sections; each part is one
template partial and one function giving its context, registered under a name with an order
(lower first). The page renders them in order; registering a name twice is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Section:
    name: str
    template: str
    view: Callable[[Any], dict[str, Any]]
    order: int


def register_section[F: Callable[[Any], dict[str, Any]]](
    registry: dict[str, Section], page: str, name: str, template: str, order: int
) -> Callable[[F], F]:
    """A decorator that registers `view` as the context of `template` in `registry`."""

    def register(view: F) -> F:
        if name in registry:
            raise ValueError(f"a {page} section {name!r} is registered twice")
        registry[name] = Section(name=name, template=template, view=view, order=order)
        return view

    return register


def render_sections(registry: dict[str, Section], ctx: Any) -> list[dict[str, Any]]:
    """The registered sections in order, each {"name", "template", "context"}, for
    `{% include section.template with section=section.context %}`-style rendering."""
    return [
        {"name": found.name, "template": found.template, "context": found.view(ctx)}
        for found in sorted(registry.values(), key=lambda s: (s.order, s.name))
    ]
