"""The user admin works with our e-mail-keyed user model."""

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import User, UserRole
from accounts.tests.factories import RoleFactory, UserFactory
from core.testing import admin_url

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-and-unusual-passphrase"


def add_user_form(**changes) -> dict:
    data = {
        "email": "New.Person@Example.com",
        "full_name": "New Person",
        "usable_password": "true",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "user_roles-TOTAL_FORMS": 0,
        "user_roles-INITIAL_FORMS": 0,
    }
    return {**data, **changes}


def test_staff_adds_a_user_who_then_signs_in_by_email(admin_client):
    # when a superuser adds a user with a password typed twice
    response = admin_client.post(admin_url(User, "add"), add_user_form())
    # then the user exists, with the e-mail address in lower case, and signs in with it
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.com")
    assert user.full_name == "New Person"
    # (every sign-in passes its request: login protection counts attempts per address)
    sign_in_request = RequestFactory().post("/admin/login/")
    assert authenticate(sign_in_request, username="NEW.person@example.com", password=PASSWORD) == user


def test_mismatched_passwords_are_refused(admin_client):
    response = admin_client.post(admin_url(User, "add"), add_user_form(password2="something-else-entirely"))
    assert response.status_code == 200
    assert "password2" in response.context["adminform"].form.errors
    assert not User.objects.filter(email="new.person@example.com").exists()


def test_an_email_taken_in_another_letter_case_is_refused(admin_client):
    UserFactory(email="new.person@example.com")
    response = admin_client.post(admin_url(User, "add"), add_user_form())
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == ["A user with this e-mail address already exists."]


def test_staff_changes_a_user_without_touching_the_password(admin_client):
    # given a user
    user = UserFactory(full_name="Old Name")
    password_hash = user.password
    data = {
        "email": user.email,
        "full_name": "New Name",
        "phone": user.phone,
        "status": user.status,
        "is_active": "on",
        "user_roles-TOTAL_FORMS": 0,
        "user_roles-INITIAL_FORMS": 0,
    }
    # when their name is changed in the admin
    response = admin_client.post(admin_url(User, "change", user.pk), data)
    # then it is saved and their password is untouched
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.full_name, user.password) == ("New Name", password_hash)


def test_roles_are_not_granted_through_the_user_page_but_linked_from_it(admin_client):
    # given a user and a role
    user = UserFactory()
    role = RoleFactory(name="FINANCE_REVIEWER")
    url = admin_url(User, "change", user.pk)
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "phone": user.phone,
        "status": user.status,
        "is_active": "on",
        "user_roles-TOTAL_FORMS": 1,
        "user_roles-INITIAL_FORMS": 0,
        "user_roles-0-role": role.pk,
    }
    # when a superuser posts a role grant through the user's admin page
    admin_client.post(url, data)
    # then no role is granted: grants go through the role pages, which the user's page links to
    assert not UserRole.objects.filter(user=user).exists()
    assert reverse("accounts:user_roles", args=[user.pk]) in admin_client.get(url).content.decode()


def test_nobody_can_make_a_superuser_through_the_admin(admin_client):
    from accounts.tests.factories import UserFactory

    # given a staff user edited in the admin
    user = UserFactory(is_staff=True)
    url = f"/admin/accounts/user/{user.pk}/change/"
    page = admin_client.get(url).content.decode()
    # then the superuser flag is shown but not editable
    assert 'name="is_superuser"' not in page


class TestAccountsStrongerThanTheActor:
    """An ADMIN may manage users, but not take over or lock out anyone stronger than themselves."""

    @pytest.fixture
    def setup(self, client):
        from django.core.management import call_command

        from accounts.models import Role, UserRole
        from accounts.tests.factories import UserFactory

        call_command("seed_rbac", verbosity=0)
        admin_user = UserFactory(is_staff=True)
        UserRole.objects.create(user=admin_user, role=Role.objects.get(name="ADMIN"))
        chief = UserFactory(is_staff=True)
        UserRole.objects.create(user=chief, role=Role.objects.get(name="SUPER_ADMIN"))
        bootstrap = UserFactory(is_staff=True, is_superuser=True)
        client.force_login(admin_user)
        return client, admin_user, chief, bootstrap

    def test_an_admin_cannot_edit_or_reset_the_password_of_a_stronger_account(self, setup):
        client, _, chief, bootstrap = setup
        for target in (chief, bootstrap):
            assert client.get(f"/admin/accounts/user/{target.pk}/password/").status_code == 403
            response = client.post(
                f"/admin/accounts/user/{target.pk}/change/",
                {"email": target.email, "full_name": "x", "status": "SUSPENDED", "is_active": "on"},
            )
            assert response.status_code in (200, 403)
            target.refresh_from_db()
            assert target.status == "ACTIVE"

    def test_an_admin_can_still_edit_a_client(self, setup):
        from accounts.tests.factories import UserFactory

        client, *_ = setup
        customer = UserFactory()
        assert client.get(f"/admin/accounts/user/{customer.pk}/change/").status_code == 200

    def test_the_last_lasting_super_admin_cannot_be_suspended_even_by_the_bootstrap_account(self, setup):
        from accounts.models import UserStatus

        client, _, chief, bootstrap = setup
        client.force_login(bootstrap)
        response = client.post(
            f"/admin/accounts/user/{chief.pk}/change/",
            {
                "email": chief.email,
                "full_name": chief.full_name,
                "status": "SUSPENDED",
                "is_active": "on",
                "is_staff": "on",
                "user_roles-TOTAL_FORMS": "0",
                "user_roles-INITIAL_FORMS": "0",
            },
        )
        assert response.status_code == 200
        assert "last lasting SUPER_ADMIN" in response.content.decode()
        chief.refresh_from_db()
        assert chief.status == UserStatus.ACTIVE

    def test_the_last_lasting_super_admin_cannot_be_deleted_even_by_the_bootstrap_account(self, setup):
        from accounts.models import User

        # given the only lasting SUPER_ADMIN, and the bootstrap account on its delete page
        client, _, chief, bootstrap = setup
        client.force_login(bootstrap)
        assert "Cannot delete" in client.get(f"/admin/accounts/user/{chief.pk}/delete/").content.decode()

        # when the deletion is confirmed anyway
        client.post(f"/admin/accounts/user/{chief.pk}/delete/", {"post": "yes"})

        # then the account is still there, and no bulk deletion offers a way around the check
        assert User.objects.filter(pk=chief.pk).exists()
        changelist = client.get("/admin/accounts/user/").content.decode()
        assert "delete_selected" not in changelist
