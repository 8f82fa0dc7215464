from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields


# Issue 12 item 4: households paid in cash against the signed receipt list (maker–checker).
# Numbered 0019 in merge order, after 0018_notice_template_64.
class Migration(migrations.Migration):
    dependencies = [('dividends', '0018_notice_template_64')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CashPayment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('run', fields.ForeignKeyField('dividends.Run', source_field='run_id', db_constraint=True, to_field='id', related_name='cash_payments', on_delete=OnDelete.RESTRICT)),
                ('evidence', fields.CharField(max_length=64)),
                ('evidence_type', fields.CharField(max_length=32)),
                ('note', fields.TextField(default='')),
                ('total_fen', fields.BigIntField()),
                ('state', fields.CharField(default='prepared', max_length=16)),
                ('prepared_by', fields.CharField(max_length=64)),
                ('approved_by', fields.CharField(null=True, max_length=64)),
                ('reason', fields.TextField(default='')),
                ('created_at', fields.DatetimeField(auto_now_add=True)),
                ('approved_at', fields.DatetimeField(null=True)),
                ('settlement', fields.ForeignKeyField('dividends.LedgerEntry', source_field='settlement_id', null=True, db_constraint=True, to_field='id', related_name='cash_payments', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'cash_payment', 'app': 'dividends', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CashPaymentLine',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('payment', fields.ForeignKeyField('dividends.CashPayment', source_field='payment_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.RESTRICT)),
                ('item', fields.ForeignKeyField('dividends.PayoutItem', source_field='item_id', db_constraint=True, to_field='id', related_name='cash_lines', on_delete=OnDelete.RESTRICT)),
                ('household_id', fields.CharField(max_length=64)),
                ('amount_fen', fields.BigIntField()),
            ],
            options={'table': 'cash_payment_line', 'app': 'dividends', 'pk_attr': 'id', 'unique_together': (('payment', 'household_id'),)},
            bases=['Model'],
        ),
    ]
