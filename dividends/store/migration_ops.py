"""Migration operations of this project beyond tortoise's own.

``AlterFieldKeepingKeys``: tortoise alters a column on SQLite by remaking the table (create a
copy, move the rows, drop the old one), and the copy has neither the model's ``unique_together``
keys nor the table's indexes and triggers. This operation remakes them afterwards, so a unique
key such as a notice's (run, household, kind, attempt), which keeps two concurrent prepares from
writing a notice twice, survives the change. On PostgreSQL it is tortoise's ``AlterField``.
"""
from __future__ import annotations

from typing import Any

from tortoise.migrations import operations as ops


class AlterFieldKeepingKeys(ops.AlterField):
    async def database_forward(self, app_label: str, old_state: Any, new_state: Any,
                               state_editor: Any = None) -> None:
        if state_editor is None or getattr(state_editor, "DIALECT", "") != "sqlite":
            await super().database_forward(app_label, old_state, new_state, state_editor)
            return
        model = new_state.apps.get_model(f"{app_label}.{self.model_name}")
        table = model._meta.db_table
        client = state_editor.client
        _, rows = await client.execute_query(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL",
            [table])
        kept = [row["sql"] for row in rows]
        await super().database_forward(app_label, old_state, new_state, state_editor)
        fields = model._meta.fields_map
        for i, names in enumerate(model._meta.unique_together or ()):
            columns = ", ".join(f'"{fields[n].source_field or n}"' for n in names)
            await client.execute_script(f'CREATE UNIQUE INDEX IF NOT EXISTS "uniq_{table}_{i}" ON "{table}" ({columns})')
        for sql in kept:
            await client.execute_script(sql)
