"""The meetings app's models, each defined in its feature package and imported here so that
Django registers them with this app (and migrations find `meetings.models.new_projector_key`)."""

from meetings.actions.models import *  # noqa: F403
from meetings.minutes.models import *  # noqa: F403
from meetings.planning.models import *  # noqa: F403
from meetings.planning.models import new_projector_key  # noqa: F401 - named by old migrations
from meetings.room.models import *  # noqa: F403
from meetings.rounds.models import *  # noqa: F403
