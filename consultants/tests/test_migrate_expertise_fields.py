"""`manage.py migrate_expertise_fields`: legacy expertise lists become specialty links."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consultants.models import ConsultantSpecialty, Specialty
from consultants.services import expertise_fields_migrate
from consultants.tests.factories import ConsultantFactory, ConsultantSpecialtyFactory, SpecialtyFactory

pytestmark = pytest.mark.django_db


def migrate(*args: str) -> str:
    out = StringIO()
    call_command("migrate_expertise_fields", *args, stdout=out)
    return out.getvalue()


def links() -> set[tuple[int, str]]:
    return set(ConsultantSpecialty.objects.values_list("consultant_id", "specialty__name"))


def test_names_match_existing_specialties_ignoring_case_and_whitespace():
    # given
    economic = SpecialtyFactory(name="Economic", slug="economic")
    SpecialtyFactory(name="Human Resources", slug="human-resources")
    consultant = ConsultantFactory(expertise_fields=[" ECONOMIC", "economic ", "human   resources"])

    # when
    output = migrate()

    # then
    assert links() == {(consultant.pk, "Economic"), (consultant.pk, "Human Resources")}
    assert Specialty.objects.count() == 2
    assert economic.consultant_specialties.count() == 1
    assert "links created: 2" in output
    assert "specialties created: 0" in output


def test_missing_specialties_are_created_once_with_unique_slugs():
    # given: "Data-Science" already holds the slug a new "Data Science" would take
    SpecialtyFactory(name="Data-Science", slug="data-science")
    first = ConsultantFactory(expertise_fields=["data science", "Supply Chain"])
    second = ConsultantFactory(expertise_fields=["DATA SCIENCE", "Data Science"])

    # when
    output = migrate()

    # then
    created = Specialty.objects.exclude(slug="data-science")
    assert set(created.values_list("name", "slug")) == {
        ("Data Science", "data-science-2"),
        ("Supply Chain", "supply-chain"),
    }
    assert links() == {(first.pk, "Data Science"), (first.pk, "Supply Chain"), (second.pk, "Data Science")}
    assert "specialties created: 2 (Data Science, Supply Chain)" in output


def test_legacy_strings_holding_json_or_commas_are_understood():
    # given
    as_json = ConsultantFactory(expertise_fields='["Legal", "Marketing"]')
    as_commas = ConsultantFactory(expertise_fields="Legal, Marketing")

    # when
    migrate()

    # then
    assert links() == {
        (as_json.pk, "Legal"),
        (as_json.pk, "Marketing"),
        (as_commas.pk, "Legal"),
        (as_commas.pk, "Marketing"),
    }


def test_unparseable_values_are_listed_with_the_consultant_and_skipped():
    # given
    number = ConsultantFactory(expertise_fields=42)
    mixed = ConsultantFactory(expertise_fields=[1, "Legal"])
    empty = ConsultantFactory(expertise_fields=["", "Marketing"])
    broken = ConsultantFactory(expertise_fields="[Economic")

    # when
    output = migrate()

    # then: what could be read was linked, the rest is reported
    assert links() == {(mixed.pk, "Legal"), (empty.pk, "Marketing")}
    assert "values that could not be read: 4" in output
    assert f"consultant {number.pk}: 42 (not a list (int))" in output
    assert f"consultant {mixed.pk}: 1 (not a string (int))" in output
    assert f'consultant {empty.pk}: "" (an empty name)' in output
    assert f'consultant {broken.pk}: "[Economic" (a string that starts like a JSON list' in output


def test_running_twice_gives_the_same_result_and_creates_nothing_the_second_time():
    # given
    ConsultantFactory(expertise_fields=["Legal", "Data Science"])
    ConsultantFactory(expertise_fields="Economic, Legal")
    ConsultantFactory(expertise_fields=42)
    migrate()
    before = (links(), set(Specialty.objects.values_list("name", "slug")))

    # when
    output = migrate()

    # then
    assert (links(), set(Specialty.objects.values_list("name", "slug"))) == before
    assert "links created: 0 (4 already present)" in output
    assert "specialties created: 0" in output


def test_existing_links_are_kept_and_counted():
    # given
    link = ConsultantSpecialtyFactory(specialty=SpecialtyFactory(name="Legal", slug="legal"))
    link.consultant.expertise_fields = ["legal"]
    link.consultant.save()

    # when
    result = expertise_fields_migrate()

    # then
    assert (result.links_created, result.links_existing) == (0, 1)
    assert ConsultantSpecialty.objects.get() == link


def test_the_query_count_does_not_grow_with_the_number_of_consultants():
    # given
    SpecialtyFactory(name="Legal", slug="legal")

    def queries_for(consultants: int, niche: str) -> int:
        for number in range(consultants):
            ConsultantFactory(expertise_fields=["legal", f"{niche} {number % 3}"])
        with CaptureQueriesContext(connection) as queries:
            expertise_fields_migrate()
        return len(queries)

    # when: five consultants, then fifty more, each time with new specialties to create
    few = queries_for(5, "Niche A")
    many = queries_for(50, "Niche B")

    # then
    assert many == few
    assert ConsultantSpecialty.objects.count() == 110


def test_many_problems_are_summarised_unless_verbose():
    # given
    for _ in range(25):
        ConsultantFactory(expertise_fields=7)

    # when
    short, full = migrate(), migrate("-v", "2")

    # then
    assert "... and 5 more (run with -v 2 to list them all)" in short
    assert full.count("(not a list (int))") == 25


def test_consultants_without_expertise_are_processed_quietly():
    # given
    ConsultantFactory(expertise_fields=[])

    # when
    output = migrate()

    # then
    assert "consultants processed: 1" in output
    assert "every value could be read" in output
    assert not ConsultantSpecialty.objects.exists()
