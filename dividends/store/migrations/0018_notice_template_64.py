from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    """``notice.template`` holds the deduction variants' ids (up to 48 characters, e.g.
    ``payment_confirmation_oneway_deduction_owed_split``): 40 -> 64."""

    dependencies = [('dividends', '0017_registry_events')]

    initial = False

    operations = [
        ops.AlterField(model_name='Notice', name='template',
                       field=fields.CharField(max_length=64, default='', db_default='')),
    ]
