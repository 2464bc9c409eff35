# Single-use action links were never used by any purpose (issue 17): their table goes.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('residents', '0012_limit_cache_table'),
    ]

    operations = [
        migrations.DeleteModel(
            name='ActionLinkUse',
        ),
    ]
