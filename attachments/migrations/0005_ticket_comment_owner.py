"""Files on a ticket's replies and notes: the TICKET_COMMENT owner type (decision 0020).

The allowed owner types are a CHECK constraint on a large table, replaced ``NOT VALID`` and then
validated (decision 0014); so this migration is not atomic.
"""

from django.db import migrations, models

import core.large_tables

OWNER_TYPES = [
    ("USER", "User"),
    ("BOOKING", "Booking"),
    ("REPORT", "Report"),
    ("FEASIBILITY_STUDY", "Feasibility study"),
    ("ARTICLE", "Article"),
    ("TICKET", "Ticket"),
    ("MESSAGE", "Message"),
    ("TICKET_COMMENT", "Ticket comment"),
]


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("attachments", "0004_downloads_and_thumbnails"),
    ]

    operations = [
        migrations.AlterField(
            model_name="fileattachment",
            name="owner_type",
            field=models.CharField(choices=OWNER_TYPES, max_length=24, verbose_name="owner type"),
        ),
        # Backwards fails at the validation while files of ticket comments exist.
        core.large_tables.ReplaceCheckConstraint(
            model_name="fileattachment",
            constraint=models.CheckConstraint(
                condition=models.Q(owner_type__in=[value for value, _ in OWNER_TYPES]),
                name="attachments_owner_type_valid",
            ),
        ),
    ]
