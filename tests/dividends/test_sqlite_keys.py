"""SQLite alters a column by remaking its table, and tortoise's remake drops the model's unique
keys, indexes and triggers: a migrated database must still hold every ``unique_together`` key
of the models (a notice's (run, household, kind, attempt) keeps two concurrent prepares from
writing it twice). Migrations that alter columns use ``AlterFieldKeepingKeys``."""
from __future__ import annotations

import sqlite3

import pytest
from tortoise import Tortoise

from tests.dbsupport import BACKEND, clean_db, database_url, db  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite's table remakes")


def _unique_keys(conn: sqlite3.Connection, table: str) -> set[tuple[str, ...]]:
    keys = set()
    for _, name, unique, *_ in conn.execute(f'PRAGMA index_list("{table}")'):
        if unique:
            keys.add(tuple(sorted(row[2] for row in conn.execute(f'PRAGMA index_info("{name}")'))))
    return keys


async def test_every_unique_key_of_the_models_holds_in_a_migrated_database(clean_db: str) -> None:  # noqa: F811
    conn = sqlite3.connect(clean_db.removeprefix("sqlite://"))
    missing = []
    checked = 0
    for model in Tortoise.apps["dividends"].values():
        fields = model._meta.fields_map
        for names in model._meta.unique_together or ():
            columns = tuple(sorted(fields[n].source_field or n for n in names))
            checked += 1
            if columns not in _unique_keys(conn, model._meta.db_table):
                missing.append((model._meta.db_table, columns))
    conn.close()
    assert checked >= 10 and missing == []
