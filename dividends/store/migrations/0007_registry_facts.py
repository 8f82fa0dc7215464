from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields


def _json() -> fields.JSONField:
    return fields.JSONField(default=dict, null=True, encoder=functools.partial(dumps, separators=(',', ':')),
                            decoder=loads)


class Migration(migrations.Migration):
    dependencies = [('dividends', '0006_approval')]

    initial = False

    operations = [
        ops.AddField(model_name='County', name='column_mapping', field=_json()),
        ops.AddField(model_name='RegistryImport', name='columns', field=_json()),
        ops.AddField(model_name='RegistryImport', name='withdrawn_at', field=fields.DatetimeField(null=True)),
        ops.AddField(model_name='RegistryImport', name='withdrawn_by',
                     field=fields.CharField(default='', db_default='', max_length=64)),
        ops.AddField(model_name='RegistryImport', name='withdrawn_reason',
                     field=fields.CharField(default='', db_default='', max_length=500)),
        ops.AddField(model_name='RegistrySnapshot', name='facts', field=_json()),
        ops.AddField(model_name='RegistrySnapshot', name='columns', field=_json()),
    ]
