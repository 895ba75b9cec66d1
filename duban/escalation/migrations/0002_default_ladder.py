"""The default ladder of DESIGN.md; offices change it in the back office."""

from django.db import migrations

# (step, cause, offset in working days, recipients)
DEFAULT_LADDER = [
    ("reminder", "deadline", -3, ["to_liaison"]),
    ("reminder", "milestone", -3, ["to_liaison"]),
    ("reminder", "report", -3, ["to_liaison"]),
    ("urge_sign", "sign", 1, ["to_liaison", "to_unit_head"]),
    ("urge", "deadline", 1, ["to_liaison", "to_unit_head"]),
    ("notice", "deadline", 3, ["to_unit_head", "to_leader"]),
    ("listed", "deadline", 10, ["to_leader"]),
    # An approved extension moves the deadline: the same rungs count from the new date.
    ("reminder", "extension", -3, ["to_liaison", "to_unit_head"]),
    ("urge", "extension", 1, ["to_liaison", "to_unit_head"]),
    ("notice", "extension", 3, ["to_unit_head", "to_leader"]),
    ("listed", "extension", 10, ["to_leader"]),
]


def create(apps, schema_editor):
    LadderStep = apps.get_model("escalation", "LadderStep")
    for step, cause, offset, recipients in DEFAULT_LADDER:
        LadderStep.objects.get_or_create(
            category="", step=step, cause=cause,
            defaults={"offset_workdays": offset, "flags_key": step == "listed",
                      **{r: True for r in recipients}},
        )


def remove(apps, schema_editor):
    apps.get_model("escalation", "LadderStep").objects.filter(category="").delete()


class Migration(migrations.Migration):
    dependencies = [("escalation", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
