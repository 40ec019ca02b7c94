import factory

from backups.models import Backup, BackupType
from core.factories import ModelFactory


class BackupFactory(ModelFactory[Backup]):
    class Meta:
        model = Backup

    backup_type = BackupType.FULL
    location = factory.Sequence(lambda n: f"backups/full-{n}.dump")
