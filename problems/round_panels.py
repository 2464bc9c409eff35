"""The vote panel of the agenda screen and the projector (meetings/panels.py)."""

from __future__ import annotations
