"""Fill Problem.discussed_count from past meetings.

It was read (the chronic signal "discussed at N meetings") but never counted. It is the number
of meetings at which an agenda item naming the problem was actually started: it ran then, or a
turn of it ran (spent_seconds). meetings.meeting_services.problems_discussed_recount keeps it
so from now on; this counts the past the same way, with the models as they were here.
"""

from django.db import migrations
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce


def fill(apps, schema_editor):
    Problem = apps.get_model("problems", "Problem")
    AgendaItemProblem = apps.get_model("meetings", "AgendaItemProblem")
    started = Q(item__started_at__isnull=False) | Q(item__spent_seconds__gt=0)
    discussed = AgendaItemProblem.objects.filter(started)
    meetings = (
        discussed.filter(problem=OuterRef("pk"))
        .order_by()
        .values("problem")
        .annotate(n=Count("item__meeting", distinct=True))
        .values("n")
    )
    # Only the rows that can change: problems on a started item, or with a count already.
    changing = Q(pk__in=discussed.values("problem")) | Q(discussed_count__gt=0)
    Problem.objects.filter(changing).update(discussed_count=Coalesce(Subquery(meetings), 0))


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0011_delivery_next_attempt"),
        ("problems", "0006_judgement_words_as_values"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop, elidable=True)]
