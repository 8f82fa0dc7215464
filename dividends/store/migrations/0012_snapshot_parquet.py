from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields


class Migration(migrations.Migration):
    """Parquet snapshots: the validated frames stored beside the CSV files (the format column
    itself came with 0010_snapshot_format)."""

    dependencies = [('dividends', '0011_payee_correction')]

    initial = False

    operations = [
        ops.AddField(model_name='RegistrySnapshot', name='frames',
                     field=fields.JSONField(default=dict, null=True,
                                            encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
    ]
