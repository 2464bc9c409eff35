"""The map on the report form: the tile server is a setting (PDOK's base map by default)."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def map_tile_url() -> str:
    """MAP_TILE_URL, read when the page is drawn (so tests can point it elsewhere)."""
    return str(settings.MAP_TILE_URL)


@register.simple_tag
def map_tile_attribution() -> str:
    return str(settings.MAP_TILE_ATTRIBUTION)
