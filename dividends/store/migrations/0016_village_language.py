from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [('dividends', '0015_stored_file_lz4')]

    initial = False

    operations = [
        ops.AddField(model_name='Village', name='language',
                     field=fields.CharField(default='zh', db_default='zh', max_length=2)),
    ]
