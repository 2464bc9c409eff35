"""The panels of the agenda screen and the projector, one per agenda-item kind (see panels.py)."""

from __future__ import annotations
