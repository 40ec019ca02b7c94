"""The user list searches by part of a name or e-mail (the name-search index), and by phone number."""

import pytest

from accounts.admin import UserAdmin
from accounts.models import User
from accounts.tests.factories import UserFactory
from core.testing import admin_url

pytestmark = pytest.mark.django_db


def listed(admin_client, text: str) -> set[str]:
    response = admin_client.get(admin_url(User, "changelist"), {"q": text})
    assert response.status_code == 200
    return {user.email for user in response.context["cl"].result_list}


def test_users_are_found_by_part_of_their_name_ignoring_case_and_accents(admin_client, require_postgres):
    # given
    UserFactory(full_name="Jürgen Weißmüller", email="jw@example.com")
    UserFactory(full_name="Amira Haddad", email="amira@example.com")
    # when / then
    assert listed(admin_client, "JURGEN") == {"jw@example.com"}
    assert listed(admin_client, "ira hadd") == {"amira@example.com"}


def test_users_are_still_found_by_e_mail_and_by_phone_number(admin_client):
    UserFactory(full_name="Amira Haddad", email="amira@example.com", phone="+15550001234")
    UserFactory(full_name="Liam Smith", email="liam@example.com", phone="+15550009999")
    assert listed(admin_client, "amira@example.com") == {"amira@example.com"}
    assert listed(admin_client, "+15550001234") == {"amira@example.com"}


def test_a_search_too_short_to_use_the_index_lists_nobody(admin_client):
    UserFactory(full_name="Al Bo", email="al@example.com")
    assert listed(admin_client, "al") == set()


@pytest.mark.parametrize("few_people", [200, 0], ids=["few people, by id", "many people, walking the list"])
def test_users_found_are_the_same_whether_few_or_many_people_match(admin_client, monkeypatch, few_people):
    monkeypatch.setattr(UserAdmin, "few_people", few_people)
    UserFactory(full_name="Amira Haddad", email="amira@example.com")
    UserFactory(full_name="Omar Haddad", email="omar@example.com")
    UserFactory(full_name="Liam Smith", email="liam@example.com")
    assert listed(admin_client, "haddad") == {"amira@example.com", "omar@example.com"}
    assert listed(admin_client, "liam@example") == {"liam@example.com"}
    assert listed(admin_client, "nobody") == set()


def test_a_search_finding_few_people_counts_them_without_asking_for_an_estimate(admin_client, require_postgres):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.admin_search import FewRowsPaginator

    UserFactory(full_name="Amira Haddad", email="amira@example.com")
    UserFactory(full_name="Omar Haddad", email="omar@example.com")
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(admin_url(User, "changelist"), {"q": "haddad"})
    assert isinstance(response.context["cl"].paginator, FewRowsPaginator)
    assert response.context["cl"].result_count == 2
    assert not [query for query in queries.captured_queries if query["sql"].startswith("EXPLAIN")]
