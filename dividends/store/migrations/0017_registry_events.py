from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [('dividends', '0016_village_language')]

    initial = False

    operations = [
        # the household and member events of a registry version (StoredFile sha256 of the file as
        # uploaded); versions stored before events were recorded have none
        ops.AddField(model_name='RegistrySnapshot', name='events_file', field=fields.CharField(max_length=64, null=True)),
    ]
