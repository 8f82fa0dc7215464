from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    """Registry snapshots record the format their stored files are in (issue 8, item 8: what
    earlier versions wrote keeps opening); every snapshot before this was written as csv-v1."""

    dependencies = [('dividends', '0009_bootstrap_marker')]

    initial = False

    operations = [
        ops.AddField(
            model_name='RegistrySnapshot',
            name='format',
            field=fields.CharField(max_length=16, default="csv-v1", db_default="csv-v1"),
        ),
    ]
