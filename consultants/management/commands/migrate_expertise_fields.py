"""``manage.py migrate_expertise_fields``: legacy ``expertise_fields`` lists become specialty links."""

from typing import Any

from django.core.management.base import CommandParser

from consultants.services import ExpertiseMigrationResult, expertise_fields_migrate
from core.management.base import DatabaseCommand, positive_int

# Beyond this many, lists are cut short unless -v 2 asks for all of them.
_SHOWN = 20


class Command(DatabaseCommand):
    help = (
        "Link each consultant to the specialties named in their legacy expertise_fields (a JSON list of "
        "names; also a string holding a JSON list, or a comma-separated string). Names match existing "
        "specialties ignoring case and whitespace; missing specialties are created. Values that cannot be "
        "read are listed with the consultant's id and skipped. expertise_fields is left unchanged; re-running "
        "creates nothing new. All or nothing, in one transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=positive_int, default=2000, help="Consultants read per query (default 2000)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = expertise_fields_migrate(batch_size=options["batch_size"])
        if options["verbosity"] >= 1:
            self._report(result, list_all=options["verbosity"] >= 2)

    def _report(self, result: ExpertiseMigrationResult, *, list_all: bool) -> None:
        self.stdout.write(f"consultants processed: {result.consultants_processed}")
        self.stdout.write(f"links created: {result.links_created} ({result.links_existing} already present)")
        self.stdout.write(f"specialties created: {len(result.specialties_created)}{_names(result, list_all)}")
        if not result.problems:
            self.stdout.write(self.style.SUCCESS("every value could be read"))
            return
        self.stdout.write(self.style.WARNING(f"values that could not be read: {len(result.problems)}"))
        shown = result.problems if list_all else result.problems[:_SHOWN]
        for problem in shown:
            self.stdout.write(f"  consultant {problem.consultant_id}: {problem.value} ({problem.reason})")
        if hidden := len(result.problems) - len(shown):
            self.stdout.write(f"  ... and {hidden} more (run with -v 2 to list them all)")


def _names(result: ExpertiseMigrationResult, list_all: bool) -> str:
    names = result.specialties_created if list_all else result.specialties_created[:_SHOWN]
    hidden = len(result.specialties_created) - len(names)
    return f" ({', '.join(names)}{f', ... and {hidden} more' if hidden else ''})" if names else ""
