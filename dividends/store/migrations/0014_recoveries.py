from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields


# Issue 10 item 3 (run side): debts recovered automatically from a village's next runs.
class Migration(migrations.Migration):
    dependencies = [('dividends', '0013_brought_forward')]

    initial = False

    operations = [
        ops.AddField(model_name='Run', name='recoveries', field=fields.JSONField(null=True)),
        ops.CreateModel(
            name='Debt',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('village', fields.ForeignKeyField('dividends.Village', source_field='village_id', db_constraint=True, to_field='id', related_name='debts', on_delete=OnDelete.RESTRICT)),
                ('run', fields.ForeignKeyField('dividends.Run', source_field='run_id', db_constraint=True, to_field='id', related_name='debts', on_delete=OnDelete.RESTRICT)),
                ('household_id', fields.CharField(max_length=64)),
                ('kind', fields.CharField(max_length=16)),
                ('creditor', fields.CharField(max_length=64)),
                ('reason', fields.TextField()),
                ('amount_fen', fields.BigIntField()),
                ('recorded_at', fields.DatetimeField(auto_now_add=True)),
            ],
            options={'table': 'debt', 'app': 'dividends', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DebtRecovery',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('debt', fields.ForeignKeyField('dividends.Debt', source_field='debt_id', db_constraint=True, to_field='id', related_name='recoveries', on_delete=OnDelete.RESTRICT)),
                ('run', fields.ForeignKeyField('dividends.Run', source_field='run_id', db_constraint=True, to_field='id', related_name='debt_recoveries', on_delete=OnDelete.RESTRICT)),
                ('recovered_fen', fields.BigIntField()),
            ],
            options={'table': 'debt_recovery', 'app': 'dividends', 'pk_attr': 'id', 'unique_together': (('debt', 'run'),)},
            bases=['Model'],
        ),
    ]
