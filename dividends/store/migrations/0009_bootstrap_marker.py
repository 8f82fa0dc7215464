from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('dividends', '0008_ledger_guards')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BootstrapMarker',
            fields=[
                ('name', fields.CharField(primary_key=True, max_length=32)),
                ('username', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now_add=True)),
            ],
            options={'table': 'bootstrap_marker', 'app': 'dividends', 'pk_attr': 'name'},
            bases=['Model'],
        ),
    ]
