"""The mail ledger and the due-work table now belong to the platform (buurtoverleg); the
meetings app forgets them without touching their tables."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0001_move_from_meetings"),
        ("buurtoverleg", "0001_move_from_meetings"),
        ("meetings", "0013_mailing_kind_decides_transactional"),
    ]

    operations = [
        # The tables stay as they are: only Django's idea of which app owns them moves.
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveIndex(
                    model_name="delivery",
                    name="delivery_status_claimed",
                ),
                migrations.RemoveIndex(
                    model_name="delivery",
                    name="delivery_mailing_status",
                ),
                migrations.RemoveIndex(
                    model_name="delivery",
                    name="delivery_status_next_attempt",
                ),
                migrations.RemoveConstraint(
                    model_name="delivery",
                    name="delivery_once_per_address",
                ),
                migrations.DeleteModel(
                    name="DueWorkRun",
                ),
                migrations.RemoveIndex(
                    model_name="mailing",
                    name="meetings_ma_neighbo_e473ee_idx",
                ),
                migrations.DeleteModel(
                    name="MailSuppression",
                ),
                migrations.RemoveIndex(
                    model_name="mailsuppressionlift",
                    name="meetings_ma_neighbo_e74a1a_idx",
                ),
                migrations.RemoveField(
                    model_name="mailing",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="mailing",
                    name="neighbourhood",
                ),
                migrations.RemoveField(
                    model_name="mailing",
                    name="subject_type",
                ),
                migrations.RemoveField(
                    model_name="mailsuppressionlift",
                    name="lifted_by",
                ),
                migrations.RemoveField(
                    model_name="mailsuppressionlift",
                    name="neighbourhood",
                ),
                migrations.DeleteModel(
                    name="Delivery",
                ),
                migrations.DeleteModel(
                    name="Mailing",
                ),
                migrations.DeleteModel(
                    name="MailSuppressionLift",
                ),
            ],
        ),
    ]
