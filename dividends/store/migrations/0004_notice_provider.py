from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('dividends', '0003_village_contact')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Notice',
            name='provider',
            field=fields.CharField(default='', db_default='', max_length=16),
        ),
        ops.AddField(
            model_name='Notice',
            name='template',
            field=fields.CharField(default='', db_default='', max_length=40),
        ),
        ops.AddField(
            model_name='Notice',
            name='params',
            field=fields.TextField(default='', db_default=''),
        ),
        ops.AddField(
            model_name='Notice',
            name='provider_code',
            field=fields.CharField(default='', db_default='', max_length=64),
        ),
    ]
