"""The due-work table moves from the meetings app into the platform (buurtoverleg)."""

from django.db import migrations, models


MODELS = ['dueworkrun']


def relabel(apps, schema_editor):
    """Move the content types to the new app label, keeping their ids: generic foreign keys,
    permissions and admin log entries point at them."""
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not content_type.objects.filter(app_label='buurtoverleg', model=model).exists():
            content_type.objects.filter(app_label="meetings", model=model).update(
                app_label='buurtoverleg'
            )


def unrelabel(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label='buurtoverleg', model__in=MODELS).update(
        app_label="meetings"
    )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('meetings', '0013_mailing_kind_decides_transactional'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        # The tables stay as they are: only Django's idea of which app owns them moves.
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='DueWorkRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, unique=True)),
                        ('next_run_at', models.DateTimeField()),
                        ('last_started_at', models.DateTimeField(blank=True, null=True)),
                        ('last_finished_at', models.DateTimeField(blank=True, null=True)),
                        ('last_error', models.TextField(blank=True)),
                    ],
                    options={
                        'verbose_name': 'scheduled job',
                        'verbose_name_plural': 'scheduled jobs',
                        'db_table': 'meetings_dueworkrun',
                        'ordering': ['name'],
                    },
                ),
            ],
        ),
        migrations.RunPython(relabel, unrelabel),
    ]
