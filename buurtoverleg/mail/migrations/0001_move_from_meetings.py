"""The mail ledger moves from the meetings app into the platform (buurtoverleg.mail)."""

import buurtoverleg.mail.kinds
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


MODELS = ['mailing', 'delivery', 'mailsuppression', 'mailsuppressionlift']


def relabel(apps, schema_editor):
    """Move the content types to the new app label, keeping their ids: generic foreign keys,
    permissions and admin log entries point at them."""
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not content_type.objects.filter(app_label='mail', model=model).exists():
            content_type.objects.filter(app_label="meetings", model=model).update(
                app_label='mail'
            )


def unrelabel(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label='mail', model__in=MODELS).update(
        app_label="meetings"
    )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('meetings', '0013_mailing_kind_decides_transactional'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('residents', '0012_limit_cache_table'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables stay as they are: only Django's idea of which app owns them moves.
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='MailSuppression',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('email', models.EmailField(max_length=254, unique=True, verbose_name='e-mail address')),
                        ('permanent_failures', models.PositiveIntegerField(default=0, verbose_name='permanent failures')),
                        ('last_error', models.TextField(blank=True, verbose_name='last error')),
                        ('suppressed_at', models.DateTimeField(blank=True, null=True, verbose_name='suppressed at')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                    ],
                    options={
                        'verbose_name': 'blocked e-mail address',
                        'verbose_name_plural': 'blocked e-mail addresses',
                        'db_table': 'meetings_mailsuppression',
                        'ordering': ['-updated_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Mailing',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=buurtoverleg.mail.kinds.kind_choices, max_length=40, verbose_name='kind')),
                        ('subject_id', models.PositiveBigIntegerField(blank=True, null=True)),
                        ('template', models.CharField(max_length=100, verbose_name='template')),
                        ('context', models.JSONField(blank=True, default=dict, verbose_name='context')),
                        ('key', models.CharField(blank=True, max_length=200, null=True, unique=True, verbose_name='key')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created at')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                        ('neighbourhood', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='mailings', to='residents.neighbourhood', verbose_name='neighbourhood')),
                        ('subject_type', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='contenttypes.contenttype')),
                    ],
                    options={
                        'verbose_name': 'mailing',
                        'verbose_name_plural': 'mailings',
                        'db_table': 'meetings_mailing',
                        'ordering': ['-created_at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='Delivery',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('email', models.EmailField(max_length=254, verbose_name='e-mail address')),
                        ('language', models.CharField(default='nl', max_length=5, verbose_name='language')),
                        ('status', models.CharField(choices=[('queued', 'Queued'), ('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed'), ('suppressed', 'Not sent (address blocked)'), ('unsubscribed', 'Not sent (turned off by the person)')], default='queued', max_length=12, verbose_name='status')),
                        ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                        ('last_error', models.TextField(blank=True, verbose_name='last error')),
                        ('queued_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='queued at')),
                        ('claimed_at', models.DateTimeField(blank=True, null=True, verbose_name='claimed at')),
                        ('next_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='next attempt at')),
                        ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent at')),
                        ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='deliveries', to=settings.AUTH_USER_MODEL, verbose_name='person')),
                        ('mailing', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='mail.mailing')),
                    ],
                    options={
                        'verbose_name': 'delivery',
                        'verbose_name_plural': 'deliveries',
                        'db_table': 'meetings_delivery',
                        'ordering': ['pk'],
                    },
                ),
                migrations.CreateModel(
                    name='MailSuppressionLift',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('email', models.EmailField(max_length=254, verbose_name='e-mail address')),
                        ('reason', models.TextField(verbose_name='reason')),
                        ('lifted_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='lifted at')),
                        ('blocked_at', models.DateTimeField(blank=True, null=True, verbose_name='blocked at')),
                        ('last_error', models.TextField(blank=True, verbose_name='last error')),
                        ('lifted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='lifted by')),
                        ('neighbourhood', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='residents.neighbourhood', verbose_name='neighbourhood')),
                    ],
                    options={
                        'verbose_name': 'lifted block on an e-mail address',
                        'verbose_name_plural': 'lifted blocks on e-mail addresses',
                        'db_table': 'meetings_mailsuppressionlift',
                        'ordering': ['-lifted_at', '-pk'],
                    },
                ),
                migrations.AddIndex(
                    model_name='mailing',
                    index=models.Index(fields=['neighbourhood', '-created_at'], name='meetings_ma_neighbo_e473ee_idx'),
                ),
                migrations.AddIndex(
                    model_name='delivery',
                    index=models.Index(fields=['status', 'claimed_at'], name='delivery_status_claimed'),
                ),
                migrations.AddIndex(
                    model_name='delivery',
                    index=models.Index(fields=['mailing', 'status'], name='delivery_mailing_status'),
                ),
                migrations.AddIndex(
                    model_name='delivery',
                    index=models.Index(fields=['status', 'next_attempt_at'], name='delivery_status_next_attempt'),
                ),
                migrations.AddConstraint(
                    model_name='delivery',
                    constraint=models.UniqueConstraint(fields=('mailing', 'email'), name='delivery_once_per_address'),
                ),
                migrations.AddIndex(
                    model_name='mailsuppressionlift',
                    index=models.Index(fields=['neighbourhood', '-lifted_at'], name='meetings_ma_neighbo_e74a1a_idx'),
                ),
            ],
        ),
        migrations.RunPython(relabel, unrelabel),
    ]
