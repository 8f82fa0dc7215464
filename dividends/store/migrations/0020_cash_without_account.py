from tortoise import migrations
from tortoise.fields.base import OnDelete
from tortoise import fields

from dividends.store.migration_ops import AlterFieldKeepingKeys


class Migration(migrations.Migration):
    """Households with no bank account, approved to be paid in cash (issue 12 item 4): their
    payout item is in no bank batch (``payout_item.batch`` may be NULL, status ``cash``)."""

    dependencies = [('dividends', '0019_cash_payments')]

    initial = False

    operations = [
        AlterFieldKeepingKeys(model_name='PayoutItem', name='batch',
                       field=fields.ForeignKeyField('dividends.PayoutBatch', source_field='batch_id', null=True,
                                                    db_constraint=True, to_field='id', related_name='payout_items',
                                                    on_delete=OnDelete.RESTRICT)),
    ]
