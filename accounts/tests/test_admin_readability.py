"""Saving a user's admin form untouched writes nothing."""

import pytest

from accounts.models import User
from accounts.tests.admin_forms import unchanged_form_data
from accounts.tests.factories import UserFactory
from auditing.models import AuditLog
from core.testing import admin_url

pytestmark = pytest.mark.django_db


def test_saving_an_unchanged_user_writes_no_audit_row(admin_client, require_postgres):
    # given
    user = UserFactory(full_name="Amira Haddad", phone="+15550001234")
    url = admin_url(User, "change", user.pk)
    data = unchanged_form_data(admin_client.get(url).content.decode())
    before = AuditLog.objects.count()
    # when
    response = admin_client.post(url, data)
    # then
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert AuditLog.objects.count() == before
    assert User.objects.get(pk=user.pk).updated_at == user.updated_at


def test_a_changed_user_is_saved(admin_client):
    user = UserFactory(full_name="Amira Haddad")
    url = admin_url(User, "change", user.pk)
    data = unchanged_form_data(admin_client.get(url).content.decode())
    admin_client.post(url, {**data, "full_name": ["Amira H. Haddad"]})
    assert User.objects.get(pk=user.pk).full_name == "Amira H. Haddad"
