"""The table of the "limits" cache (buurtoverleg.cache): where the login-code and TOTP limits
are counted while Redis is down. It is Django's DatabaseCache table, made the way
`createcachetable` makes it, so a fresh database has it without an extra setup step."""

from __future__ import annotations

from django.core.management import call_command
from django.db import migrations

TABLE = "residents_limit_cache"


def create_table(apps, schema_editor):
    call_command("createcachetable", TABLE, database=schema_editor.connection.alias, verbosity=0)


def drop_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [
        ("residents", "0011_remove_user_mail_flags"),
    ]

    operations = [
        migrations.RunPython(create_table, drop_table),
    ]
