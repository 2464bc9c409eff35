"""Models may change app, but the data stays: a database from before the move migrates forward.

`tests/fixtures/before_feature_packages.sql` is a database (schema and demo data) taken before
issue 17 moved models between apps (its header says how). This test loads it into a new
database and runs `migrate`, migrates a second database from zero, and requires:

- the same normalised schema (tables, columns, constraints, indexes) in both;
- the same applied migrations and the same content types in both;
- in the migrated dump, every table's row count and a checksum of the key tables unchanged,
  except for the tables dropped on purpose (DROPPED_TABLES), which must be gone.

A move that recreates a table, drops a column's data or forgets a migration fails here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
DUMP = ROOT / "tests" / "fixtures" / "before_feature_packages.sql"

# Tables whose rows people and their history depend on. The checksum covers the columns the
# dump had, so a new column may be added; an old value may not change.
KEY_TABLES = (
    "residents_user",
    "residents_neighbourhood",
    "residents_membership",
    "problems_problem",
    "problems_timelineentry",
    "problems_priorityround",
    "problems_ballot",
    "problems_ballotpoint",
    "problems_action",
    "problems_actionupdate",
    "problems_judgement",
    "meetings_meeting",
    "meetings_agendaitem",
    "meetings_attendance",
    "meetings_minutesversion",
    "meetings_mailing",
    "meetings_delivery",
)
# Row counts a forward migration may change: its own bookkeeping.
COUNTS_MAY_CHANGE = {"django_migrations"}
# Tables a migration drops on purpose -> the content type their model leaves behind (Django
# keeps a deleted model's content type until `remove_stale_contenttypes`).
DROPPED_TABLES = {
    "residents_actionlinkuse": ("residents", "actionlinkuse"),  # issue 17: single-use links
}

pytestmark = pytest.mark.usefixtures("postgres")


def _server(dbname: str) -> dict[str, object]:
    db = settings.DATABASES["default"]
    return {
        "host": db.get("HOST") or "127.0.0.1",
        "port": int(db.get("PORT") or 5432),
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or None,
        "dbname": dbname,
    }


def _url(dbname: str) -> str:
    s = _server(dbname)
    auth = s["user"] if not s["password"] else f"{s['user']}:{s['password']}"
    return f"postgres://{auth}@{s['host']}:{s['port']}/{dbname}"


@pytest.fixture
def scratch_databases() -> Iterator[tuple[str, str]]:
    base = settings.DATABASES["default"]["NAME"]
    names = (f"{base}_dump", f"{base}_zero")
    with psycopg.connect(**_server("postgres"), autocommit=True) as admin:  # type: ignore[arg-type]
        for name in names:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield names
        finally:
            for name in names:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


def _migrate(dbname: str) -> None:
    env = {**os.environ, "DATABASE_URL": _url(dbname), "DB_CONN_MAX_AGE": "0"}
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _connect(dbname: str) -> psycopg.Connection:
    return psycopg.connect(**_server(dbname), autocommit=True)  # type: ignore[arg-type]


def _schema(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    """Tables, columns, constraints and indexes of the public schema, in a stable order."""
    columns = conn.execute(
        """
        SELECT table_name, column_name, data_type, character_maximum_length, is_nullable,
               is_identity, regexp_replace(coalesce(column_default, ''), '_seq''', '''')
        FROM information_schema.columns WHERE table_schema = 'public'
        ORDER BY table_name, column_name
        """
    ).fetchall()
    constraints = conn.execute(
        """
        SELECT rel.relname, con.conname, con.contype, pg_get_constraintdef(con.oid)
        FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid
        JOIN pg_namespace ns ON ns.oid = rel.relnamespace
        WHERE ns.nspname = 'public' ORDER BY 1, 2
        """
    ).fetchall()
    indexes = [
        (table, name, _without_casts(definition))
        for table, name, definition in conn.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = 'public' ORDER BY 1, 2"
        ).fetchall()
    ]
    return {"columns": columns, "constraints": constraints, "indexes": indexes}


def _without_casts(definition: str) -> str:
    """PostgreSQL prints a restored partial index's casts differently ('a'::varchar)::text vs
    ('a'::varchar::text[]); the same index either way."""
    return re.sub(r"::[a-z ]+(\[\])?|[()\s]", "", definition)


def _tables(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
    ).fetchall()
    return [name for (name,) in rows]


def _row_counts(conn: psycopg.Connection) -> dict[str, int]:
    counts = {}
    for table in _tables(conn):
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        counts[table] = conn.execute(query).fetchone()[0]  # type: ignore[index]
    return counts


def _columns_of(conn: psycopg.Connection, table: str) -> list[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [name for (name,) in rows]


def _checksum(conn: psycopg.Connection, table: str, columns: list[str]) -> tuple[int, str]:
    row = sql.SQL("ROW({})::text").format(sql.SQL(", ").join(map(sql.Identifier, columns)))
    query = sql.SQL(
        "SELECT count(*), md5(coalesce(string_agg({row}, '|' ORDER BY id), '')) FROM {t}"
    )
    result = conn.execute(query.format(row=row, t=sql.Identifier(table))).fetchone()
    return result  # type: ignore[return-value]


def _applied(conn: psycopg.Connection) -> set[tuple[str, str]]:
    return set(conn.execute("SELECT app, name FROM django_migrations").fetchall())


def _content_types(conn: psycopg.Connection) -> set[tuple[str, str]]:
    return set(conn.execute("SELECT app_label, model FROM django_content_type").fetchall())


def test_the_dump_from_before_the_move_migrates_forward_without_losing_data(scratch_databases):
    dump_db, zero_db = scratch_databases

    with _connect(dump_db) as conn:
        conn.execute(DUMP.read_text(encoding="utf-8"))
        conn.execute("RESET search_path")  # the dump empties it for its own statements
        counts_before = _row_counts(conn)
        columns = {table: _columns_of(conn, table) for table in KEY_TABLES}
        sums_before = {table: _checksum(conn, table, columns[table]) for table in KEY_TABLES}
    # The demo fills what the checks compare; an empty table would prove nothing.
    assert all(counts_before[table] > 0 for table in KEY_TABLES), counts_before

    _migrate(dump_db)
    _migrate(zero_db)

    with _connect(dump_db) as migrated, _connect(zero_db) as fresh:
        assert _schema(migrated) == _schema(fresh)
        assert _applied(migrated) == _applied(fresh)
        stale = set(DROPPED_TABLES.values())
        assert _content_types(migrated) - stale == _content_types(fresh)

        counts_after = _row_counts(migrated)
        assert not set(DROPPED_TABLES) & set(counts_after), "a dropped table is still there"
        for table in set(counts_before) | set(counts_after):
            if table in COUNTS_MAY_CHANGE or table in DROPPED_TABLES:
                continue
            assert counts_after.get(table) == counts_before.get(table), table
        for table in KEY_TABLES:
            assert _checksum(migrated, table, columns[table]) == sums_before[table], table
