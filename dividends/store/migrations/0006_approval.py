from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

# Issue 8 items 5 and 6: townships (township -> village scopes), the villagers' resolution bound
# to a run's content hash, township reviews and returns (驳回), and publicity evidence.
class Migration(migrations.Migration):
    dependencies = [('dividends', '0005_session_generation')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Township',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('county', fields.ForeignKeyField('dividends.County', source_field='county_id', db_constraint=True, to_field='id', related_name='townships', on_delete=OnDelete.RESTRICT)),
                ('code', fields.CharField(unique=True, max_length=32)),
                ('name', fields.CharField(max_length=128)),
            ],
            options={'table': 'township', 'app': 'dividends', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Village',
            name='township',
            field=fields.ForeignKeyField('dividends.Township', source_field='township_id', null=True, db_constraint=True, to_field='id', related_name='villages', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='User',
            name='township',
            field=fields.ForeignKeyField('dividends.Township', source_field='township_id', null=True, db_constraint=True, to_field='id', related_name='users', on_delete=OnDelete.RESTRICT),
        ),
        ops.CreateModel(
            name='RunResolution',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('run', fields.OneToOneField('dividends.Run', source_field='run_id', db_constraint=True, to_field='id', related_name='resolution', on_delete=OnDelete.RESTRICT)),
                ('content_hash', fields.CharField(max_length=64)),
                ('meeting_date', fields.DateField()),
                ('body', fields.CharField(max_length=16)),
                ('entitled', fields.IntField()),
                ('present', fields.IntField()),
                ('votes_for', fields.IntField()),
                ('votes_against', fields.IntField()),
                ('abstaining', fields.IntField()),
                ('quorum', fields.CharField(max_length=16)),
                ('majority', fields.CharField(max_length=16)),
                ('recorded_by', fields.CharField(max_length=64)),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'run_resolution', 'app': 'dividends', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RunDecision',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('run', fields.ForeignKeyField('dividends.Run', source_field='run_id', db_constraint=True, to_field='id', related_name='decisions', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharField(max_length=8)),
                ('content_hash', fields.CharField(max_length=64)),
                ('township', fields.ForeignKeyField('dividends.Township', source_field='township_id', null=True, db_constraint=True, to_field='id', related_name='decisions', on_delete=OnDelete.RESTRICT)),
                ('filing_number', fields.CharField(default='', max_length=64)),
                ('text', fields.TextField(default='', unique=False)),
                ('decided_by', fields.CharField(max_length=64)),
                ('decided_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'run_decision', 'app': 'dividends', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RunEvidence',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('run', fields.ForeignKeyField('dividends.Run', source_field='run_id', db_constraint=True, to_field='id', related_name='evidence', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharField(max_length=16)),
                ('sha256', fields.CharField(max_length=64)),
                ('name', fields.CharField(max_length=255)),
                ('media_type', fields.CharField(max_length=64)),
                ('recorded_by', fields.CharField(max_length=64)),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'run_evidence', 'app': 'dividends', 'pk_attr': 'id', 'unique_together': (('run', 'kind', 'sha256'),)},
            bases=['Model'],
        ),
    ]
