from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

# Issue 12 item 4: a household's payment account corrected on a paid run (maker–checker).
class Migration(migrations.Migration):
    dependencies = [('dividends', '0010_snapshot_format')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PayeeCorrection',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('run', fields.ForeignKeyField('dividends.Run', source_field='run_id', db_constraint=True, to_field='id', related_name='payee_corrections', on_delete=OnDelete.RESTRICT)),
                ('household_id', fields.CharField(max_length=64)),
                ('account_no', fields.CharField(max_length=64)),
                ('bank', fields.CharField(default='', max_length=128)),
                ('reason', fields.TextField(default='')),
                ('state', fields.CharField(default='prepared', max_length=16)),
                ('prepared_by', fields.CharField(max_length=64)),
                ('approved_by', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now_add=True)),
                ('approved_at', fields.DatetimeField(null=True)),
            ],
            options={'table': 'payee_correction', 'app': 'dividends', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
