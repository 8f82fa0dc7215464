from tortoise import migrations
from tortoise.migrations import operations as ops

# PostgreSQL compresses large values with pglz by default: ~12 MB/s on the reference machine,
# 10 s of a 1,000,000-household import for its households CSV alone. lz4 (PostgreSQL 14+, when the
# server is built with it) compresses 3-4x faster at nearly the same size. Only new values are
# written with it; values stored before stay pglz and read as before. SQLite: nothing to do.
LZ4_AVAILABLE = ("SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
                 "AND 'lz4' = ANY(enumvals)")


async def _compression(schema_editor, method: str) -> None:  # type: ignore[no-untyped-def]
    client = schema_editor.client
    if str(client.capabilities.dialect) != "postgres":
        return
    _, rows = await client.execute_query(LZ4_AVAILABLE)
    if rows:
        await client.execute_script(f'ALTER TABLE "stored_file" ALTER COLUMN "data" SET COMPRESSION {method}')


async def to_lz4(apps, schema_editor):  # type: ignore[no-untyped-def]
    await _compression(schema_editor, "lz4")


async def to_pglz(apps, schema_editor):  # type: ignore[no-untyped-def]
    await _compression(schema_editor, "pglz")


class Migration(migrations.Migration):
    """Stored files (snapshot CSV and Parquet, bank files, packs) compressed with lz4 on PostgreSQL."""

    dependencies = [('dividends', '0014_recoveries')]

    initial = False

    operations = [
        ops.RunPython(to_lz4, to_pglz),
    ]
