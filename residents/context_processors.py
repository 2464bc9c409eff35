from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from residents.models import Neighbourhood


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The neighbourhoods the user works in, for the team navigation; asked only if shown."""

    def team_neighbourhoods() -> list[Neighbourhood]:
        return list(Neighbourhood.objects.visible_to(request.user).only("name", "slug"))

    return {"my_neighbourhoods": SimpleLazyObject(team_neighbourhoods)}
