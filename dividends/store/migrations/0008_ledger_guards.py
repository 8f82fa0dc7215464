from tortoise import migrations
from tortoise.migrations import operations as ops

from dividends.store import guards


async def create_guards(apps, schema_editor):  # type: ignore[no-untyped-def]
    client = schema_editor.client
    await client.execute_script(guards.create_sql(str(client.capabilities.dialect)))


async def drop_guards(apps, schema_editor):  # type: ignore[no-untyped-def]
    client = schema_editor.client
    await client.execute_script(guards.drop_sql(str(client.capabilities.dialect)))


class Migration(migrations.Migration):
    dependencies = [('dividends', '0007_registry_facts')]

    initial = False

    operations = [
        ops.RunPython(create_guards, drop_guards),
    ]
