from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('dividends', '0002_ledger_head')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='LedgerHead',
            options={'table': 'ledger_head', 'app': 'dividends', 'pk_attr': 'village_id'},
        ),
        ops.AddField(
            model_name='Village',
            name='contact_name',
            field=fields.CharField(default='', db_default='', max_length=64),
        ),
        ops.AddField(
            model_name='Village',
            name='contact_phone',
            field=fields.CharField(default='', db_default='', max_length=32),
        ),
        ops.AddField(
            model_name='Village',
            name='office_address',
            field=fields.CharField(default='', db_default='', max_length=255),
        ),
        ops.RemoveField(model_name='Village', name='contact'),
    ]
