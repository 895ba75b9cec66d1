# The (unit, state) index of assignments carries the task id too: "the tasks of a unit's subtree" (every
# supervisor's scope, a bulletin's scope) is then read from the index alone, without the table.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('supervision', '0002_extension_extension_state'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='assignment',
            name='supervision_unit_id_0b95f1_idx',
        ),
        migrations.AddIndex(
            model_name='assignment',
            index=models.Index(fields=['unit', 'state', 'task'], name='supervision_unit_id_85b03f_idx'),
        ),
    ]
