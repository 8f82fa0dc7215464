"""The numbered migrations describe the models exactly: tortoise's autodetector, run over the
migrations on disk and the models, finds nothing a new migration would have to change (a model
field added, altered or dropped without its migration fails here). The only differences it
reports are six tables' descriptions (the first line of the model's docstring, which migrations
never apply to a database), listed so that a new one is noticed."""
from __future__ import annotations

from pathlib import Path

import pytest
from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from dividends.store import models
from dividends.store.db import tortoise_config
from tests.dbsupport import BACKEND, clean_db, database_url, db  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="the models and migrations, not the database")

DESCRIPTIONS_ONLY = {"BootstrapMarker", "CashPayment", "CashPaymentLine", "Debt", "DebtRecovery", "PayeeCorrection"}


async def test_the_migrations_describe_every_field_of_the_models(clean_db: str) -> None:  # noqa: F811
    config = tortoise_config("sqlite://:memory:")["apps"]
    changes = await MigrationAutodetector(Tortoise.apps, config).changes()
    operations = [op for writer in changes for op in writer.operations]
    assert [type(op).__name__ for op in operations if type(op).__name__ != "AlterModelOptions"] == []
    assert {op.name for op in operations} == DESCRIPTIONS_ONLY
    for op in operations:
        model = Tortoise.apps["dividends"][op.name]
        assert op.options["table_description"] == model._meta.table_description


def test_no_model_field_has_a_comment_tortoise_would_read() -> None:
    """The models skip tortoise's search of their source for ``#:`` field comments (start-up
    time); such a comment would be silently ignored, so there is none."""
    source = Path(models.__file__).read_text(encoding="utf-8")
    assert not [line for line in source.splitlines() if line.lstrip().startswith("#:")]
    classes = [m for m in vars(models).values() if isinstance(m, type) and issubclass(m, models.Model)
               and m is not models.Model]
    assert len(classes) >= 30 and all(m.__dict__.get("_no_comments") for m in classes)
