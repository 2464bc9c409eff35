from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

# (slug, Dutch name, English name, sensitive)
CATEGORIES = [
    ("zwerfvuil", "Zwerfvuil en afval", "Litter and waste", False),
    ("leegstand", "Leegstand en verpaupering", "Vacancy and decay", False),
    ("jeugdoverlast", "Jeugdoverlast", "Youth nuisance", False),
    ("drugsoverlast", "Drugsoverlast", "Drug nuisance", True),
    ("verkeer", "Verkeer en parkeren", "Traffic and parking", False),
    ("verlichting", "Openbare verlichting", "Street lighting", False),
    ("groen", "Groen en speelplekken", "Green spaces and playgrounds", False),
    ("geluid", "Geluidsoverlast", "Noise nuisance", False),
    ("vandalisme", "Vandalisme en graffiti", "Vandalism and graffiti", False),
    ("inbraak", "Inbraak en onveilig gevoel", "Burglary and feeling unsafe", False),
    ("overig", "Overig", "Other", False),
]


def seed(apps, schema_editor):
    Category = apps.get_model("problems", "Category")
    for position, (slug, name, name_en, sensitive) in enumerate(CATEGORIES, start=1):
        Category.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "name_en": name_en,
                "sensitive": sensitive,
                "position": position * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("problems", "0001_problem_register")]

    operations = [
        TrigramExtension(),  # similar-title suggestions on PostgreSQL; a no-op elsewhere
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
