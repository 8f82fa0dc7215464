from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('dividends', '0004_notice_provider')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='session_generation',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.CreateModel(
            name='LoginThrottle',
            fields=[
                ('bucket', fields.CharField(primary_key=True, max_length=160)),
                ('window_start', fields.BigIntField()),
                ('failures', fields.IntField()),
            ],
            options={'table': 'login_throttle', 'app': 'dividends', 'pk_attr': 'bucket'},
            bases=['Model'],
        ),
    ]
