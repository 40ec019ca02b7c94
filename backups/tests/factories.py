import factory
from factory.django import DjangoModelFactory

from backups.models import Backup, BackupType


class BackupFactory(DjangoModelFactory):
    class Meta:
        model = Backup

    backup_type = BackupType.FULL
    location = factory.Sequence(lambda n: f"backups/full-{n}.dump")
