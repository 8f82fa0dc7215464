from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('dividends', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LedgerHead',
            fields=[
                ('village', fields.OneToOneField('dividends.Village', source_field='village_id', primary_key=True, db_index=True, db_constraint=True, to_field='id', related_name='ledger_head', on_delete=OnDelete.RESTRICT)),
                ('seq', fields.IntField()),
                ('hash', fields.CharField(max_length=64)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'ledger_head', 'app': 'dividends', 'pk_attr': 'village_id'},
            bases=['Model'],
        ),
    ]
