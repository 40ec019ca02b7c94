"""Whatever staff type into a changelist's address, the answer is a page, never a server error."""

import pytest

pytestmark = pytest.mark.django_db

LISTS = {
    "/admin/auditing/auditlog/": "created_at",
    "/admin/support/supportholiday/": "day",
    "/admin/consultants/booking/": "scheduled_at",
    "/admin/support/supportticket/": "created_at",
    "/admin/backups/backup/": "created_at",
}


@pytest.mark.parametrize(
    "query",
    [
        "{date}__year=9999",
        "{date}__year=abc",
        "{date}__year=2026&{date}__month=13",
        "{date}__year=2026&{date}__month=2&{date}__day=30",
        "{date}__year=2026&{date}__month=99999999999999999999",
        "{date}__month=99999999999999999999",
        "{date}__year=99999999999999999999",
        "{date}__year=2026&{date}__month=1&{date}__day=-1",
        "{date}__year=-2026",
        "{date}__year=١٢٣",
        "status__exact=<script>",
        "p=999999",
        "o=zz",
        "q=%00",
    ],
)
def test_junk_in_the_address_is_refused_politely(admin_client, query):
    for url, date_field in LISTS.items():
        response = admin_client.get(f"{url}?{query.format(date=date_field)}")
        assert response.status_code in (200, 302, 400), (url, query, response.status_code)


@pytest.mark.parametrize("object_id", ["abc", "..%2F..", "99999999999999999999", "-1", "%C2%B2"])
def test_the_history_button_with_a_made_up_id_is_a_404(admin_client, object_id):
    response = admin_client.get(f"/admin/consultants/booking/{object_id}/history/")

    assert response.status_code == 404


def test_the_history_button_leads_to_the_objects_audit_trail(admin_client):
    from consultants.tests.factories import BookingFactory

    booking = BookingFactory()

    response = admin_client.get(f"/admin/consultants/booking/{booking.pk}/history/")

    assert response.status_code == 302
    assert response["Location"] == f"/staff/audit/history/consultants.booking/{booking.pk}/"


@pytest.mark.parametrize("junk", ["abc", "99999999999999999999", "1e9", "' OR '1'='1", "[]"])
def test_a_form_posted_with_a_made_up_related_id_is_shown_again_with_the_error(admin_client, junk):
    from consultants.tests.factories import ConsultantFactory

    consultant = ConsultantFactory()
    # an autocomplete on the model's own form, and one on an inline's form
    for url, data in (
        ("/admin/consultants/booking/add/", {"client": junk, "status": "PENDING"}),
        (
            f"/admin/consultants/consultant/{consultant.pk}/change/",
            {
                "user": consultant.user_id,
                "hourly_rate": "100",
                "consultant_specialties-TOTAL_FORMS": "1",
                "consultant_specialties-INITIAL_FORMS": "0",
                "consultant_specialties-0-specialty": junk,
            },
        ),
    ):
        response = admin_client.post(url, data)

        assert response.status_code == 200, url
        assert "Select a valid choice" in response.content.decode(), url


def test_an_inline_row_repeating_a_stored_one_is_shown_again_with_the_error(admin_client):
    from consultants.models import ConsultantSpecialty
    from consultants.tests.factories import ConsultantFactory, SpecialtyFactory

    # given a consultant with one specialty
    consultant, specialty = ConsultantFactory(), SpecialtyFactory()
    ConsultantSpecialty.objects.create(consultant=consultant, specialty=specialty)

    # when their form is posted adding the same specialty again (a stale page, a forged post)
    response = admin_client.post(
        f"/admin/consultants/consultant/{consultant.pk}/change/",
        {
            "user": consultant.user_id,
            "hourly_rate": "100",
            "consultant_specialties-TOTAL_FORMS": "1",
            "consultant_specialties-INITIAL_FORMS": "0",
            "consultant_specialties-0-specialty": specialty.pk,
        },
    )

    # then the form comes back with the error and nothing is written
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert ConsultantSpecialty.objects.filter(consultant=consultant).count() == 1


def every_admin_action(request) -> list[tuple[type, str]]:
    """(model, action name) for every action of every registered admin, as a superuser sees them."""
    from django.contrib import admin

    return [
        (model, name)
        for model, model_admin in admin.site._registry.items()
        for name in model_admin.get_actions(request)
    ]


@pytest.mark.parametrize("junk", ["abc", "1\x00", str(2**70), "-1", "0", "١", ""])
def test_an_action_on_a_made_up_selection_is_a_400_before_it_runs(admin_client, superuser, rf, junk):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    from core.testing import admin_url

    request = rf.get("/admin/")
    request.user = superuser
    actions = every_admin_action(request)
    assert len(actions) > 10  # delete_selected everywhere it is allowed, and the admins' own actions

    for model, action in actions:
        url = admin_url(model, "changelist")
        response = admin_client.post(url, {"action": action, ACTION_CHECKBOX_NAME: ["1", junk], "post": "yes"})

        assert response.status_code == 400, (model, action, response.status_code)


def test_an_action_on_real_rows_still_runs(admin_client):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    from consultants.models import Specialty
    from consultants.tests.factories import SpecialtyFactory
    from core.testing import admin_url

    doomed = SpecialtyFactory()

    response = admin_client.post(
        admin_url(Specialty, "changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [str(doomed.pk)], "post": "yes"},
    )

    assert response.status_code == 302
    assert not Specialty.objects.filter(pk=doomed.pk).exists()
