from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [('dividends', '0008_ledger_guards')]

    initial = False

    operations = [
        ops.AddField(model_name='RegistrySnapshot', name='format',
                     field=fields.CharField(default='csv-v1', db_default='csv-v1', max_length=16)),
        ops.AddField(model_name='RegistrySnapshot', name='frames',
                     field=fields.JSONField(default=dict, null=True,
                                            encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
    ]
