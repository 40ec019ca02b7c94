"""The admin cannot forge owners or workflow state: the review's staff consultant, replayed.

Without `act_for_*` a staff member who names someone else as a row's consultant, author, sender or
client gets the row in their own name (and the ownership grants with it); with it they pick the owner.
Deliveries and publications go through the services, never through the form.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Model
from django.utils import timezone

from accounts.rbac_catalog import ACT_FOR_CONSULTANT, ACT_FOR_USER
from accounts.tests.factories import UserFactory, fresh
from accounts.tests.factories import staff_holding as staff_holding_any_profile
from consultants.models import (
    Article,
    ArticleStatus,
    Booking,
    DeliverableStatus,
    FeasibilityStudy,
    FeasibilityStudyUserObjectPermission,
    Message,
    Report,
    ReportUserObjectPermission,
    Service,
)
from consultants.tests.factories import (
    ArticleFactory,
    ConsultantFactory,
    ReportFactory,
    ServiceCategoryFactory,
    ServiceFactory,
)
from core.testing import admin_url

pytestmark = pytest.mark.django_db

GRANT_MODELS: dict[type[Model], type[ReportUserObjectPermission | FeasibilityStudyUserObjectPermission]] = {
    Report: ReportUserObjectPermission,
    FeasibilityStudy: FeasibilityStudyUserObjectPermission,
}


def staff_holding(*codenames: str, consultant: bool = True):
    """A staff member whose one role grants exactly ``codenames``, with a consultant profile if asked."""
    user = staff_holding_any_profile(*codenames)
    if consultant:
        ConsultantFactory(user=user)
    return fresh(user)


# What the review posted: each form names `victim` as the owner and asks for the finished state.
def service_form(victim, client_user):
    return {
        "consultant": victim.consultant.pk,
        "category": ServiceCategoryFactory().pk,
        "title": "Tax audit",
        "description": "",
        "price": "0.01",
        "duration_minutes": 60,
        "is_active": "on",
    }


def deliverable_form(victim, client_user):
    return {
        "consultant": victim.consultant.pk,
        "client": client_user.pk,
        "booking": "",
        "title": "Market study",
        "body": "Findings",
        "summary": "",
        "estimated_budget": "",
        "status": DeliverableStatus.DELIVERED,
        "delivered_at_0": "2020-01-01",
        "delivered_at_1": "10:00:00",
    }


def article_form(victim, client_user):
    return {
        "author": victim.consultant.pk,
        "title": "How to pay",
        "slug": f"how-to-pay-{victim.pk}-{client_user.pk}",
        "body": "Pay to IBAN XX",
        "status": ArticleStatus.PUBLISHED,
        "published_at_0": "2020-01-01",
        "published_at_1": "10:00:00",
    }


def message_form(victim, client_user):
    return {
        "sender": victim.pk,
        "recipient": client_user.pk,
        "booking": "",
        "subject": "Invoice",
        "body": "Please pay to IBAN XX",
        "status": "READ",
    }


def booking_form(victim, client_user):
    service = ServiceFactory()
    scheduled = timezone.localtime(timezone.now() + timedelta(days=2))
    return {
        "client": victim.pk,
        "consultant": service.consultant.pk,
        "service": service.pk,
        "scheduled_at_0": scheduled.date().isoformat(),
        "scheduled_at_1": "10:00:00",
        "status": "PENDING",
        "price": "150.00",
        "notes": "",
    }


# (model, owner field, the owner's value for a user, the form, the act-for permission)
OWNED = [
    (Service, "consultant", lambda user: user.consultant, service_form, ACT_FOR_CONSULTANT),
    (Report, "consultant", lambda user: user.consultant, deliverable_form, ACT_FOR_CONSULTANT),
    (FeasibilityStudy, "consultant", lambda user: user.consultant, deliverable_form, ACT_FOR_CONSULTANT),
    (Article, "author", lambda user: user.consultant, article_form, ACT_FOR_CONSULTANT),
    (Message, "sender", lambda user: user, message_form, ACT_FOR_USER),
    (Booking, "client", lambda user: user, booking_form, ACT_FOR_USER),
]
OWNED_IDS = [model.__name__ for model, *_ in OWNED]


@pytest.mark.parametrize(("model", "field", "owner_of", "form", "act_for"), OWNED, ids=OWNED_IDS)
def test_naming_someone_else_as_the_owner_takes_the_permission_to_act_for_others(
    client, model, field, owner_of, form, act_for
):
    # given two staff members who may add these rows, one of them allowed to act for others
    add = f"consultants.add_{model._meta.model_name}"
    forger, delegate = staff_holding(add), staff_holding(add, act_for.codename)
    victim = ConsultantFactory().user
    rows = {}
    # when each posts the add form naming the other consultant (or user) as the owner
    for user in (forger, delegate):
        client.force_login(user)
        response = client.post(admin_url(model, "add"), form(victim, UserFactory()))
        assert response.status_code == 302, response.context and response.context["adminform"].form.errors
        rows[user] = model.objects.latest("pk")
    # then the forger's row is in their own name, the delegate's in the name they chose
    assert getattr(rows[forger], field) == owner_of(forger)
    assert getattr(rows[delegate], field) == owner_of(victim)
    # and the ownership grants follow: nothing of the forger's row reaches the other consultant
    if grants := GRANT_MODELS.get(model):
        codename = f"consultants.change_{model._meta.model_name}"
        assert not grants.objects.filter(user=victim, content_object=rows[forger]).exists()
        assert not fresh(victim).has_perm(codename, rows[forger])
        assert fresh(forger).has_perm(codename, rows[forger])
        assert fresh(victim).has_perm(codename, rows[delegate])


@pytest.mark.parametrize("model", [Service, Report, Article], ids=lambda model: model.__name__)
def test_staff_without_a_consultant_profile_are_told_they_cannot_own_a_consultants_row(client, model):
    # given a staff member with no consultant profile who may add the row but not act for consultants
    me = staff_holding(f"consultants.add_{model._meta.model_name}", consultant=False)
    victim = ConsultantFactory().user
    client.force_login(me)
    form = {Service: service_form, Report: deliverable_form, Article: article_form}[model]
    # when they post the add form
    response = client.post(admin_url(model, "add"), form(victim, UserFactory()))
    # then the form says why, and nothing is created
    assert response.status_code == 200
    assert "your account has no consultant profile" in response.content.decode()
    assert not model.objects.exists()


def test_the_add_form_shows_the_owner_fixed_to_the_signed_in_consultant(client):
    me = staff_holding("consultants.add_report")
    client.force_login(me)
    response = client.get(admin_url(Report, "add"))
    field = response.context["adminform"].form["consultant"]
    assert field.field.disabled
    assert field.value() == me.consultant.pk


def test_changing_the_owner_of_an_existing_row_needs_the_permission(client):
    # given a staff member who may change any report but not act for consultants, and a report
    me = staff_holding("consultants.change_report", "consultants.view_report")
    report = ReportFactory()
    owner = report.consultant
    client.force_login(me)
    # when they post its change form naming themselves as the consultant
    data = {**deliverable_form(me, report.client), "title": "Renamed"}
    response = client.post(admin_url(Report, "change", report.pk), data)
    # then the edit is saved but the report stays with its consultant
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.title, report.consultant) == ("Renamed", owner)
    assert not ReportUserObjectPermission.objects.filter(user=me, content_object=report).exists()


@pytest.mark.parametrize(
    ("model", "form", "field", "draft"),
    [
        (Report, deliverable_form, "delivered_at", DeliverableStatus.DRAFT),
        (FeasibilityStudy, deliverable_form, "delivered_at", DeliverableStatus.DRAFT),
        (Article, article_form, "published_at", ArticleStatus.DRAFT),
    ],
    ids=["Report", "FeasibilityStudy", "Article"],
)
def test_not_even_a_superuser_sets_delivered_or_published_through_the_form(admin_client, model, form, field, draft):
    # given a consultant
    victim = ConsultantFactory().user
    # when a superuser posts the add form asking for the finished state
    response = admin_client.post(admin_url(model, "add"), form(victim, UserFactory()))
    # then the row starts as a draft with no timestamp
    assert response.status_code == 302
    row = model.objects.get()
    assert (row.status, getattr(row, field)) == (draft, None)


def test_a_service_price_must_be_an_amount_above_zero(admin_client):
    victim = ConsultantFactory().user
    for price in ("0", "0.00", "-5"):
        # when a price of zero or less is posted
        response = admin_client.post(admin_url(Service, "add"), {**service_form(victim, None), "price": price})
        # then the price field says so and nothing is created
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["price"] == ["A service's price must be an amount above zero."]
        assert not Service.objects.exists()
    # while the smallest amount above zero is accepted
    response = admin_client.post(admin_url(Service, "add"), service_form(victim, None))
    assert response.status_code == 302
    assert Service.objects.get().price == Decimal("0.01")


def changelist_action(client, model, action, rows):
    return client.post(
        admin_url(model, "changelist"), {"action": action, "_selected_action": [row.pk for row in rows]}, follow=True
    )


def test_the_deliver_action_delivers_through_the_service(admin_client):
    # given a draft report and one already archived
    draft, archived = ReportFactory(), ReportFactory(status=DeliverableStatus.ARCHIVED)
    # when a superuser delivers both from the list
    response = changelist_action(admin_client, Report, "deliver", [draft, archived])
    # then the draft is delivered and stamped, the archived one is refused with a reason
    draft.refresh_from_db()
    archived.refresh_from_db()
    assert draft.status == DeliverableStatus.DELIVERED and draft.delivered_at is not None
    assert (archived.status, archived.delivered_at) == (DeliverableStatus.ARCHIVED, None)
    shown = [str(message) for message in response.context["messages"]]
    assert "1 delivered." in shown
    assert f"{archived}: This report is archived; it cannot become delivered." in shown


def test_the_publish_action_publishes_through_the_service(admin_client):
    article = ArticleFactory()
    changelist_action(admin_client, Article, "publish", [article])
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED and article.published_at is not None


def test_staff_who_may_not_act_for_consultants_cannot_deliver_someone_elses_report(client):
    # given a staff member who may change any report, but not act for consultants
    me = staff_holding("consultants.change_report", "consultants.view_report")
    report = ReportFactory()
    client.force_login(me)
    # when they try to deliver it
    response = changelist_action(client, Report, "deliver", [report])
    # then it stays a draft and they are told why
    report.refresh_from_db()
    assert report.status == DeliverableStatus.DRAFT
    assert [str(message) for message in response.context["messages"]] == [
        f"{report}: Only its consultant may move this report along its workflow."
    ]


def test_pointing_a_consultant_profile_at_another_account_needs_the_permission(client):
    # given staff who may change consultants but not act for others, and someone else's profile
    staff = staff_holding("consultants.view_consultant", "consultants.change_consultant", consultant=False)
    profile, thief = ConsultantFactory(), UserFactory()
    owner = profile.user_id
    client.force_login(staff)

    # when they post the profile's form naming another account
    client.post(
        admin_url(type(profile), "change", profile.pk),
        {
            "user": thief.pk,
            "hourly_rate": "100",
            "consultant_specialties-TOTAL_FORMS": "0",
            "consultant_specialties-INITIAL_FORMS": "0",
        },
    )

    # then the profile (and every grant that follows it) stays with its account
    profile.refresh_from_db()
    assert profile.user_id == owner
