"""Carry the three per-person mail switches over to per-neighbourhood preferences.

"No agenda mail" used to stop the minutes too (they went to those who wanted the agenda), so it
becomes "no agenda, no minutes" in every neighbourhood the person belongs to; "remind me before
each meeting" becomes the reminder turned on for every meeting.
"""

from __future__ import annotations

from django.db import migrations
from django.db.models import Q


def forwards(apps, schema_editor):
    User = apps.get_model("residents", "User")
    Membership = apps.get_model("residents", "Membership")
    MailPreference = apps.get_model("residents", "MailPreference")
    rows = []
    people = User.objects.filter(
        Q(wants_agenda_mail=False) | Q(wants_digest=False) | Q(wants_meeting_reminder=True)
    ).values_list("pk", "wants_agenda_mail", "wants_digest", "wants_meeting_reminder")
    for pk, agenda, digest, reminder in people.iterator():
        hoods = set(
            Membership.objects.filter(user_id=pk).values_list("neighbourhood_id", flat=True)
        )
        for hood in sorted(hoods):
            if not agenda:
                rows.append(
                    MailPreference(user_id=pk, neighbourhood_id=hood, topic="agenda", enabled=False)
                )
                rows.append(
                    MailPreference(
                        user_id=pk, neighbourhood_id=hood, topic="minutes", enabled=False
                    )
                )
            if not digest:
                rows.append(
                    MailPreference(user_id=pk, neighbourhood_id=hood, topic="digest", enabled=False)
                )
            if reminder:
                rows.append(
                    MailPreference(
                        user_id=pk, neighbourhood_id=hood, topic="meeting_reminder", enabled=True
                    )
                )
    MailPreference.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


def backwards(apps, schema_editor):
    User = apps.get_model("residents", "User")
    MailPreference = apps.get_model("residents", "MailPreference")
    off = MailPreference.objects.filter(enabled=False)
    User.objects.filter(pk__in=off.filter(topic="agenda").values("user_id")).update(
        wants_agenda_mail=False
    )
    User.objects.filter(pk__in=off.filter(topic="digest").values("user_id")).update(
        wants_digest=False
    )
    User.objects.filter(
        pk__in=MailPreference.objects.filter(enabled=True, topic="meeting_reminder").values(
            "user_id"
        )
    ).update(wants_meeting_reminder=True)


class Migration(migrations.Migration):
    dependencies = [("residents", "0009_mail_preference")]

    operations = [migrations.RunPython(forwards, backwards)]
