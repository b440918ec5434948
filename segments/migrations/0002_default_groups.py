"""Gives every existing company the default groups; new companies get them when created."""

from django.db import migrations

DEFAULTS = [
    ("all", {"en": "All", "ru": "Все"}, ""),
    ("new", {"en": "New", "ru": "Новые"}, "activity=lt&activity_n=3&activity_unit=months&actions_min=1&actions_max=1"),
    ("loyal", {"en": "Loyal", "ru": "Постоянные"}, "activity=lt&activity_n=3&activity_unit=months&actions_min=2"),
    ("inactive", {"en": "Inactive", "ru": "Неактивные"}, "activity=gt&activity_n=3&activity_unit=months"),
]


def create_default_groups(apps, schema_editor):
    Company = apps.get_model("companies", "Company")
    Segment = apps.get_model("segments", "Segment")
    for company in Company.objects.all():
        for position, (key, names, query) in enumerate(DEFAULTS):
            name = names.get(company.language, names["en"])
            Segment.objects.get_or_create(
                company=company, default=key, defaults={"name": name, "query": query, "position": position}
            )


class Migration(migrations.Migration):
    dependencies = [("segments", "0001_initial"), ("companies", "0001_initial")]

    operations = [migrations.RunPython(create_default_groups, migrations.RunPython.noop)]
