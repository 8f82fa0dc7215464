from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [('dividends', '0012_snapshot_parquet')]

    initial = False

    operations = [
        ops.AddField(model_name='Run', name='brought_forward', field=fields.JSONField(null=True)),
        ops.AddField(model_name='Run', name='correction_needed',
                     field=fields.CharField(default='', db_default='', max_length=64)),
        ops.AddField(model_name='Run', name='deductions_file', field=fields.CharField(max_length=64, null=True)),
        ops.AddField(model_name='Run', name='earlier_paid', field=fields.JSONField(null=True)),
    ]
