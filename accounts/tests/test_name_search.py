"""Finding people by any part of their name or e-mail (``accounts.selectors.users_matching``)."""

import pytest
from django.db import connection

from accounts.models import User
from accounts.selectors import NAME_SEARCH_MAX_LENGTH, name_search_text, users_matching
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def found(text: str) -> set[str]:
    return set(users_matching(text).values_list("email", flat=True))


def test_part_of_a_name_finds_the_person_whatever_the_case():
    # given
    UserFactory(full_name="Amira Haddad", email="amira@example.com")
    UserFactory(full_name="Liam Smith", email="liam@example.com")
    # when / then
    assert found("HADD") == {"amira@example.com"}
    assert found("ira had") == {"amira@example.com"}
    assert found("smi") == {"liam@example.com"}


def test_accents_are_ignored_both_ways(require_postgres):
    # given
    UserFactory(full_name="Jürgen Weißmüller", email="jw@example.com")
    UserFactory(full_name="Jurgen Berg", email="jb@example.com")
    # when / then
    assert found("jurgen") == {"jw@example.com", "jb@example.com"}
    assert found("Jürgen") == {"jw@example.com", "jb@example.com"}
    assert found("weissmuller") == {"jw@example.com"}


def test_part_of_an_e_mail_address_finds_the_person():
    UserFactory(full_name="Amira Haddad", email="a.haddad@consulting.example")
    assert found("haddad@consult") == {"a.haddad@consulting.example"}
    assert found("A.HADDAD@CONSULTING.EXAMPLE") == {"a.haddad@consulting.example"}


def test_percent_underscore_and_backslash_match_only_themselves():
    # given names that LIKE's wildcards would match if they were not escaped
    UserFactory(full_name="Ahmed Ali", email="ahmed@example.com")
    UserFactory(full_name="Rate 100% sure", email="percent@example.com")
    UserFactory(full_name="Under_score", email="under@example.com")
    UserFactory(full_name="Back\\slash", email="back@example.com")
    # when / then
    assert found("%%%") == set()
    assert found("0% s") == {"percent@example.com"}
    assert found("r_s") == {"under@example.com"}
    assert found("___") == set()
    assert found("k\\s") == {"back@example.com"}


def test_too_short_control_characters_and_huge_input_match_nobody_or_are_cleaned():
    UserFactory(full_name="Amira Haddad", email="amira@example.com")
    assert found("") == set()
    assert found("am") == set()
    assert found("  a \x00 ") == set()
    assert found("had\x00dad") == set()  # the NUL is a separator, never sent to the database
    assert found("had\x00") == {"amira@example.com"}
    assert found("x" * 10_000) == set()
    assert found("Haddad" + " " * 10_000) == {"amira@example.com"}  # whitespace runs are one space
    assert len(name_search_text("ab" * 10_000)) == NAME_SEARCH_MAX_LENGTH


def test_the_trigram_index_answers_the_search(require_postgres):
    # given a few thousand people, with fresh statistics
    User.objects.bulk_create(
        User(email=f"person{number}@example.com", full_name=f"Person {number} Example") for number in range(4000)
    )
    UserFactory(full_name="Amira Haddad")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_user")
        # On so few rows a scan may cost about the same as the index; what matters is that the search's
        # expression is the index's, so that the index can answer it (an expression that differs in any
        # way could only be scanned). For this transaction only.
        cursor.execute("SET LOCAL enable_seqscan = off")
    # when PostgreSQL plans the search
    plan = users_matching("haddad").order_by().explain()
    # then it reads the name-search index
    assert "Bitmap Index Scan on accounts_user_search_trgm" in plan
