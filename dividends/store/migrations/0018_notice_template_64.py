from tortoise import migrations
from tortoise import fields

from dividends.store.migration_ops import AlterFieldKeepingKeys


class Migration(migrations.Migration):
    """``notice.template`` holds the deduction variants' ids (up to 48 characters, e.g.
    ``payment_confirmation_oneway_deduction_owed_split``): 40 -> 64."""

    dependencies = [('dividends', '0017_registry_events')]

    initial = False

    operations = [
        AlterFieldKeepingKeys(model_name='Notice', name='template',
                       field=fields.CharField(max_length=64, default='', db_default='')),
    ]
