"""The meetings app's Celery tasks, found by the worker's autodiscovery.

Mail and due work are the platform's (buurtoverleg.mail.tasks, buurtoverleg.tasks); their
task names stayed as they were here.
"""

from __future__ import annotations

from meetings.minutes.tasks import render_minutes

__all__ = ["render_minutes"]
