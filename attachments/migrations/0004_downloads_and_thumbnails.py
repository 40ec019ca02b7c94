"""Download tracking and thumbnail state; files stored through the routing storage (decision 0019).

New columns are nullable or carry a constant default (PostgreSQL adds both without rewriting the table,
decision 0014). The storage is a callable: no backend is recorded here.
"""

from django.db import migrations, models

import attachments.storage


class Migration(migrations.Migration):
    dependencies = [
        ("attachments", "0003_labels_translatable"),
    ]

    operations = [
        migrations.AddField(
            model_name="fileattachment",
            name="last_downloaded_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="last downloaded at"),
        ),
        migrations.AddField(
            model_name="fileattachment",
            name="thumbnail_error",
            field=models.CharField(blank=True, max_length=255, verbose_name="thumbnail error"),
        ),
        migrations.AddField(
            model_name="fileattachment",
            name="thumbnail_status",
            field=models.CharField(
                choices=[
                    ("NONE", "No thumbnail (not an image)"),
                    ("PENDING", "Being made"),
                    ("READY", "Ready"),
                    ("FAILED", "Failed"),
                ],
                default="NONE",
                max_length=8,
                verbose_name="thumbnail status",
            ),
        ),
        migrations.AlterField(
            model_name="fileattachment",
            name="file",
            field=models.FileField(
                max_length=255, storage=attachments.storage.attachment_storage, upload_to="", verbose_name="file"
            ),
        ),
        migrations.AlterField(
            model_name="fileattachment",
            name="thumbnail",
            field=models.ImageField(
                blank=True,
                max_length=255,
                null=True,
                storage=attachments.storage.attachment_storage,
                upload_to="",
                verbose_name="thumbnail",
            ),
        ),
    ]
