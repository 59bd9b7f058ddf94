# The columns per language hold every text now (0004): the old places go.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0004_content_languages"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='statementtext',
            options={'ordering': ['mission', 'section'], 'verbose_name': 'statement text', 'verbose_name_plural': 'statement texts'},
        ),
        migrations.RemoveConstraint(
            model_name='statementtext',
            name='statement_text_once_per_section_and_language',
        ),
        migrations.RemoveField(
            model_name='question',
            name='translations',
        ),
        migrations.RemoveField(
            model_name='statementtext',
            name='language',
        ),
        migrations.AddConstraint(
            model_name='statementtext',
            constraint=models.UniqueConstraint(fields=('mission', 'section'), name='statement_text_once_per_section', violation_error_message='This mission already has a text for this section.'),
        ),
    ]
