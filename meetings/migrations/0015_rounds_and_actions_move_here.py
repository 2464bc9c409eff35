"""Priority rounds and actions now belong to the meetings app (meetings.rounds,
meetings.actions). Their tables keep their names (Meta.db_table); only Django's idea of which app
owns them moves, and their content types keep their ids."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


MODELS = [
    "priorityround", "roundcandidate", "ballot", "ballotpoint", "handcount",
    "analysis", "action", "actionupdate", "volunteer", "judgement", "surveyanswer",
]


def relabel(apps, schema_editor):
    """Move the content types to the new app label, keeping their ids: permissions and admin
    log entries point at them."""
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not content_type.objects.filter(app_label="meetings", model=model).exists():
            content_type.objects.filter(app_label="problems", model=model).update(
                app_label="meetings"
            )


def unrelabel(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="meetings", model__in=MODELS).update(
        app_label="problems"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('meetings', '0014_mail_and_due_work_move_to_platform'),
        ('problems', '0007_rounds_and_actions_move_here'),
        ('residents', '0012_limit_cache_table'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables stay as they are: only Django's idea of which app owns them moves.
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Action',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('outcome', models.CharField(help_text="A concrete result that can be checked, e.g. 'The glass container is emptied twice a week', not 'attention for litter'.", max_length=300, verbose_name='what exactly is to be achieved')),
                        ('details', models.TextField(blank=True, max_length=2000, verbose_name='how')),
                        ('volunteers_needed', models.PositiveSmallIntegerField(default=0, verbose_name='volunteers needed')),
                        ('volunteer_count', models.PositiveSmallIntegerField(default=0, verbose_name='volunteers')),
                        ('first_due_date', models.DateField(verbose_name='first agreed date')),
                        ('due_date', models.DateField(verbose_name='due date')),
                        ('status', models.CharField(choices=[('waiting', 'Waiting for volunteers'), ('open', 'Open'), ('in_progress', 'In progress'), ('done', 'Done'), ('not_feasible', 'Not feasible'), ('cancelled', 'Cancelled')], db_index=True, default='open', max_length=20, verbose_name='status')),
                        ('status_reason', models.TextField(blank=True, max_length=2000, verbose_name='reason')),
                        ('delay_note', models.TextField(blank=True, max_length=2000, verbose_name='why delayed')),
                        ('delay_note_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='agreed on')),
                        ('updated_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='last change')),
                        ('done_at', models.DateTimeField(blank=True, null=True, verbose_name='done on')),
                        ('version', models.PositiveIntegerField(default=1)),
                        ('contact_person', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='contact_actions', to=settings.AUTH_USER_MODEL, verbose_name='contact person among the residents')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('meeting', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='actions_agreed', to='meetings.meeting', verbose_name='agreed at')),
                        ('neighbourhood', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='actions', to='residents.neighbourhood', verbose_name='neighbourhood')),
                        ('owner_organisation', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='actions', to='residents.organisation', verbose_name='owner organisation')),
                        ('owner_person', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='owned_actions', to=settings.AUTH_USER_MODEL, verbose_name='owner (person)')),
                        ('problem', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='actions', to='problems.problem', verbose_name='priority')),
                    ],
                    options={
                        'verbose_name': 'action',
                        'verbose_name_plural': 'actions',
                        'db_table': 'problems_action',
                        'ordering': ['due_date', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='ActionUpdate',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('agreed', 'Agreed'), ('progress', 'Progress'), ('status', 'Status changed'), ('due_date', 'Due date moved'), ('delay', 'Why delayed'), ('edit', 'Edited'), ('volunteers', 'Enough volunteers'), ('judged', 'Judged at the meeting')], max_length=20, verbose_name='what')),
                        ('text', models.TextField(blank=True, max_length=2000, verbose_name='text')),
                        ('author_role', models.CharField(blank=True, max_length=20)),
                        ('from_status', models.CharField(blank=True, choices=[('waiting', 'Waiting for volunteers'), ('open', 'Open'), ('in_progress', 'In progress'), ('done', 'Done'), ('not_feasible', 'Not feasible'), ('cancelled', 'Cancelled')], max_length=20)),
                        ('to_status', models.CharField(blank=True, choices=[('waiting', 'Waiting for volunteers'), ('open', 'Open'), ('in_progress', 'In progress'), ('done', 'Done'), ('not_feasible', 'Not feasible'), ('cancelled', 'Cancelled')], max_length=20)),
                        ('old_due_date', models.DateField(blank=True, null=True)),
                        ('new_due_date', models.DateField(blank=True, null=True)),
                        ('effect', models.CharField(blank=True, choices=[('better', 'Better'), ('same', 'The same'), ('worse', 'Worse')], max_length=10)),
                        ('verdict', models.CharField(blank=True, choices=[('continue', 'Continue'), ('adjust', 'Adjust'), ('close', 'Close')], max_length=10)),
                        ('at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('action', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='updates', to='meetings.action')),
                        ('author', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('meeting', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='meetings.meeting')),
                        ('organisation', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='residents.organisation', verbose_name='organisation')),
                    ],
                    options={
                        'verbose_name': 'action update',
                        'verbose_name_plural': 'action updates',
                        'db_table': 'problems_actionupdate',
                        'ordering': ['at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='Analysis',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('location', models.TextField(blank=True, max_length=2000, verbose_name='where and when it happens')),
                        ('victims', models.TextField(blank=True, max_length=2000, verbose_name='who is affected')),
                        ('offenders', models.TextField(blank=True, max_length=2000, verbose_name='who causes it')),
                        ('updated_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='updated at')),
                        ('meeting', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='meetings.meeting', verbose_name='last discussed at')),
                        ('problem', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='analysis', to='problems.problem', verbose_name='problem')),
                        ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'analysis',
                        'verbose_name_plural': 'analyses',
                        'db_table': 'problems_analysis',
                    },
                ),
                migrations.CreateModel(
                    name='Judgement',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('effect', models.CharField(choices=[('better', 'Better'), ('same', 'The same'), ('worse', 'Worse')], max_length=10, verbose_name='effect')),
                        ('verdict', models.CharField(choices=[('continue', 'Continue'), ('adjust', 'Adjust'), ('close', 'Close')], max_length=10, verbose_name='verdict')),
                        ('note', models.CharField(blank=True, max_length=500, verbose_name='note')),
                        ('at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('action', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='judgements', to='meetings.action')),
                        ('meeting', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='judgements', to='meetings.meeting')),
                        ('recorded_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'judgement',
                        'verbose_name_plural': 'judgements',
                        'db_table': 'problems_judgement',
                        'ordering': ['at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='PriorityRound',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('draft', 'Being prepared'), ('open', 'Open for votes'), ('closed', 'Closed')], default='draft', max_length=10, verbose_name='status')),
                        ('points', models.PositiveSmallIntegerField(verbose_name='points per resident')),
                        ('max_per_problem', models.PositiveSmallIntegerField(verbose_name='most points on one problem')),
                        ('results_shown', models.BooleanField(default=False, verbose_name='results shown')),
                        ('opened_at', models.DateTimeField(blank=True, null=True, verbose_name='opened at')),
                        ('closes_at', models.DateTimeField(blank=True, null=True, verbose_name='closes at')),
                        ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed at')),
                        ('tie_note', models.TextField(blank=True, verbose_name='tie decided in the room')),
                        ('version', models.PositiveIntegerField(default=1)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('closed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('meeting', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='priority_round', to='meetings.meeting', verbose_name='meeting')),
                        ('neighbourhood', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='priority_rounds', to='residents.neighbourhood', verbose_name='neighbourhood')),
                    ],
                    options={
                        'verbose_name': 'priority round',
                        'verbose_name_plural': 'priority rounds',
                        'db_table': 'problems_priorityround',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Ballot',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('source', models.CharField(choices=[('online', 'Online'), ('paper', 'Paper')], max_length=8, verbose_name='source')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('entered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('voter', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='ballots', to=settings.AUTH_USER_MODEL)),
                        ('round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='ballots', to='meetings.priorityround')),
                    ],
                    options={
                        'verbose_name': 'ballot',
                        'verbose_name_plural': 'ballots',
                        'db_table': 'problems_ballot',
                    },
                ),
                migrations.CreateModel(
                    name='RoundCandidate',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('position', models.PositiveSmallIntegerField(default=0)),
                        ('outcome', models.CharField(blank=True, choices=[('', 'Not decided yet'), ('priority', 'Became a priority'), ('not_chosen', 'Not chosen')], default='', max_length=12)),
                        ('chosen_in_room', models.BooleanField(default=False)),
                        ('added_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('problem', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='round_entries', to='problems.problem')),
                        ('round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='candidates', to='meetings.priorityround')),
                    ],
                    options={
                        'verbose_name': 'candidate',
                        'verbose_name_plural': 'candidates',
                        'db_table': 'problems_roundcandidate',
                        'ordering': ['round', 'position', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='HandCount',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('hands', models.PositiveSmallIntegerField(verbose_name='hands')),
                        ('entered_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('entered_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('round', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='hand_counts', to='meetings.priorityround')),
                        ('candidate', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='hand_count', to='meetings.roundcandidate')),
                    ],
                    options={
                        'verbose_name': 'hand count',
                        'verbose_name_plural': 'hand counts',
                        'db_table': 'problems_handcount',
                    },
                ),
                migrations.CreateModel(
                    name='BallotPoint',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('points', models.PositiveSmallIntegerField()),
                        ('ballot', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='points', to='meetings.ballot')),
                        ('candidate', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='points', to='meetings.roundcandidate')),
                    ],
                    options={
                        'db_table': 'problems_ballotpoint',
                    },
                ),
                migrations.CreateModel(
                    name='SurveyAnswer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('answer', models.CharField(choices=[('better', 'Better'), ('same', 'The same'), ('worse', 'Worse')], max_length=10, verbose_name='answer')),
                        ('remark', models.TextField(blank=True, max_length=1000, verbose_name='remark')),
                        ('at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('problem', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='survey_answers', to='problems.problem')),
                        ('resolution', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='survey_answers', to='problems.timelineentry')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='survey_answers', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'survey answer',
                        'verbose_name_plural': 'survey answers',
                        'db_table': 'problems_surveyanswer',
                        'ordering': ['at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='Volunteer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('action', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='volunteers', to='meetings.action')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='volunteering', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'volunteer',
                        'verbose_name_plural': 'volunteers',
                        'db_table': 'problems_volunteer',
                    },
                ),
                migrations.AddIndex(
                    model_name='action',
                    index=models.Index(fields=['neighbourhood', 'status', 'due_date'], name='action_by_status'),
                ),
                migrations.AddIndex(
                    model_name='action',
                    index=models.Index(fields=['owner_organisation', 'status'], name='action_by_owner'),
                ),
                migrations.AddConstraint(
                    model_name='action',
                    constraint=models.CheckConstraint(condition=models.Q(('done_at__isnull', True), ('status', 'done'), _connector='OR'), name='action_done_at_if_done'),
                ),
                migrations.AddConstraint(
                    model_name='judgement',
                    constraint=models.UniqueConstraint(fields=('action', 'meeting'), name='judgement_once_per_meeting'),
                ),
                migrations.AddConstraint(
                    model_name='priorityround',
                    constraint=models.CheckConstraint(condition=models.Q(('points__gte', 1), ('points__lte', 50), ('max_per_problem__gte', 1), ('max_per_problem__lte', models.F('points'))), name='round_budget_sane'),
                ),
                migrations.AddConstraint(
                    model_name='ballot',
                    constraint=models.UniqueConstraint(fields=('round', 'voter'), name='one_ballot_per_resident'),
                ),
                migrations.AddConstraint(
                    model_name='roundcandidate',
                    constraint=models.UniqueConstraint(fields=('round', 'problem'), name='one_candidacy_per_round'),
                ),
                migrations.AddConstraint(
                    model_name='ballotpoint',
                    constraint=models.UniqueConstraint(fields=('ballot', 'candidate'), name='one_line_per_candidate'),
                ),
                migrations.AddConstraint(
                    model_name='ballotpoint',
                    constraint=models.CheckConstraint(condition=models.Q(('points__gte', 1)), name='ballot_point_positive'),
                ),
                migrations.AddConstraint(
                    model_name='surveyanswer',
                    constraint=models.UniqueConstraint(fields=('resolution', 'user'), name='survey_answer_once_per_person'),
                ),
                migrations.AddConstraint(
                    model_name='volunteer',
                    constraint=models.UniqueConstraint(fields=('action', 'user'), name='volunteer_once_per_action'),
                ),
            ],
        ),
        migrations.RunPython(relabel, unrelabel),
    ]
