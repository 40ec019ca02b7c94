"""Every model's admin pages open for a superuser, and no changelist's query count grows with its rows."""

from datetime import datetime

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice.tests.admin_rows import FACTORIES, STAFF_PAGE_MODELS, create_rows, registered_models
from core.testing import admin_url

pytestmark = pytest.mark.django_db

MODELS = registered_models()
# The audit trail and the system log: the admin sends their pages on to the staff viewer.
LISTED_IN_ADMIN = [model for model in MODELS if model not in STAFF_PAGE_MODELS]


def model_id(model) -> str:
    return model._meta.label


def test_every_registered_model_has_rows_for_these_tests():
    # given the admin site as registered by every app
    # then each of its models can be given rows, so no model's pages go untested
    assert set(MODELS) <= set(FACTORIES)


@pytest.mark.parametrize("model", MODELS, ids=model_id)
def test_changelist_add_and_change_pages_open(admin_client, model):
    # given one row
    (row,) = create_rows(model, 1)
    # when a superuser opens the list, the add form and the row's own page
    changelist = admin_client.get(admin_url(model, "changelist"))
    add = admin_client.get(admin_url(model, "add"))
    change = admin_client.get(admin_url(model, "change", row.pk))
    # then all three open (read-only admins refuse the add form), on the staff pages for the trail and log
    if model in STAFF_PAGE_MODELS:
        assert changelist.status_code == change.status_code == 302
        assert admin_client.get(changelist["Location"]).status_code == 200
        assert admin_client.get(change["Location"]).status_code == 200
        assert add.status_code == 403
        return
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count >= 1
    model_admin = admin.site._registry[model]
    expected_add = 200 if model_admin.has_add_permission(add.wsgi_request) else 403
    assert add.status_code == expected_add
    assert change.status_code == 200


def changelist_variants(model) -> dict[str, dict[str, str]]:
    """The plain list, the list with its first filter applied, and a date drill-down (when it has them)."""
    model_admin = admin.site._registry[model]
    variants: dict[str, dict[str, str]] = {"plain": {}}
    if model_admin.list_filter:
        variants["filtered"] = dict([filter_param(model, model_admin.list_filter[0])])
    if model_admin.date_hierarchy:
        variants["drill-down"] = drill_down_params(model, model_admin.date_hierarchy)
    return variants


def filter_param(model, list_filter) -> tuple[str, str]:
    field = model._meta.get_field(list_filter)
    if field.is_relation:
        return f"{field.name}__{field.target_field.name}__exact", str(field.related_model._default_manager.first().pk)
    if field.choices:
        return f"{field.name}__exact", str(field.choices[0][0])
    assert field.get_internal_type() == "BooleanField", f"no test parameter for filtering on {field}"
    return f"{field.name}__exact", "1"


def drill_down_params(model, field_name: str) -> dict[str, str]:
    values = model._default_manager.filter(**{f"{field_name}__isnull": False}).values_list(field_name, flat=True)
    latest = values.order_by(f"-{field_name}").first()
    if isinstance(latest, datetime):
        latest = timezone.localtime(latest)
    return {f"{field_name}__year": str(latest.year), f"{field_name}__month": str(latest.month)}


def count_queries(client, url: str, params: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, response
    assert "?e=1" not in response.get("Location", "")
    return len(queries)


@pytest.mark.parametrize("model", LISTED_IN_ADMIN, ids=model_id)
def test_changelist_queries_do_not_grow_with_rows(admin_client, model, monkeypatch):
    # given a few rows, and pages of 10 rows so that many rows span several pages
    monkeypatch.setattr(admin.site._registry[model], "list_per_page", 10)
    create_rows(model, 3)
    url = admin_url(model, "changelist")
    variants = changelist_variants(model)
    count_queries(admin_client, url, {})  # the session's once-a-minute "last seen" write happens here
    few = {name: count_queries(admin_client, url, params) for name, params in variants.items()}
    # when there are many more rows
    create_rows(model, 57)
    many = {name: count_queries(admin_client, url, params) for name, params in variants.items()}
    # then every variant of the list runs as many queries as before
    assert many == few


def test_only_the_pages_that_list_the_apps_build_the_admins_list_of_apps(admin_client, monkeypatch):
    # The sidebar draws the back office's areas, so a list page has no use for the admin's list of apps;
    # the index, which shows it, still builds it.
    from accounts.models import User

    built = []
    original = admin.site._build_app_dict

    def build_app_dict(*args, **kwargs):
        built.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(admin.site, "_build_app_dict", build_app_dict)
    assert admin_client.get(admin_url(User, "changelist")).status_code == 200
    assert built == []
    response = admin_client.get("/admin/")
    assert response.status_code == 200 and built
    assert any(app["app_label"] == "accounts" for app in response.context["app_list"])
