from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from residents.models import Neighbourhood
from residents.permissions import needs_second_factor


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The neighbourhoods the user works in, for the team navigation; asked only if shown."""

    def team_neighbourhoods() -> list[Neighbourhood]:
        return list(Neighbourhood.objects.visible_to(request.user).only("name", "slug"))

    def keeps_second_factor() -> bool:
        return needs_second_factor(request.user)

    return {
        "my_neighbourhoods": SimpleLazyObject(team_neighbourhoods),
        # The team may not switch the second step off (MFAAdapter refuses): offer no button.
        "must_keep_second_factor": SimpleLazyObject(keeps_second_factor),
    }
