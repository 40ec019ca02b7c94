"""The write path of consultants' records: owners from the actor, prices above zero, workflow moves by service."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.rbac_catalog import ACT_FOR_CONSULTANT, resource_action_from_codename
from accounts.tests.factories import PermissionFactory, RolePermissionFactory, UserFactory, UserRoleFactory
from consultants.models import ArticleStatus, DeliverableStatus, Report, Service
from consultants.services import article_status_set, deliverable_status_set, owned_record_save
from consultants.tests.factories import (
    ArticleFactory,
    ConsultantFactory,
    FeasibilityStudyFactory,
    ReportFactory,
    ServiceCategoryFactory,
)

pytestmark = pytest.mark.django_db


def holding(user, *codenames: str):
    """``user`` reloaded after being given a role granting ``codenames``."""
    role = None
    for codename in codenames:
        resource, action = resource_action_from_codename(codename)
        grant = RolePermissionFactory(
            permission=PermissionFactory(resource=resource, action=action), **({"role": role} if role else {})
        )
        role = grant.role
    UserRoleFactory(user=user, role=role)
    return get_user_model().objects.get(pk=user.pk)


def new_service(consultant=None, price=Decimal("80.00")) -> Service:
    return Service(consultant=consultant, category=ServiceCategoryFactory(), title="Tax audit", price=price)


def test_a_new_row_without_an_owner_becomes_the_actors_own():
    me = ConsultantFactory()
    service = owned_record_save(record=new_service(), actor=me.user)
    assert Service.objects.get(pk=service.pk).consultant == me


def test_naming_another_consultant_without_the_permission_is_refused():
    # given a consultant and someone else
    me, other = ConsultantFactory(), ConsultantFactory()
    # when they save a service in the other's name
    with pytest.raises(PermissionDenied, match="only name yourself as the consultant of a service"):
        owned_record_save(record=new_service(other), actor=me.user)
    # then nothing is saved; with the permission, it is
    assert not Service.objects.exists()
    delegate = holding(UserFactory(), ACT_FOR_CONSULTANT.codename)
    assert owned_record_save(record=new_service(other), actor=delegate).consultant == other


def test_moving_an_existing_row_to_another_consultant_without_the_permission_is_refused():
    report = ReportFactory()
    thief = ConsultantFactory()
    report.consultant = thief
    with pytest.raises(PermissionDenied, match="may not change the consultant of a report"):
        owned_record_save(record=report, actor=thief.user)
    assert Report.objects.get(pk=report.pk).consultant != thief


def test_a_service_at_zero_is_refused():
    me = ConsultantFactory()
    with pytest.raises(ValidationError, match="price must be an amount above zero"):
        owned_record_save(record=new_service(me, price=Decimal("0.00")), actor=me.user)
    assert not Service.objects.exists()


def test_a_plain_save_cannot_deliver_a_report():
    # given a consultant's draft report
    report = ReportFactory()
    # when they save it as delivered
    report.status = DeliverableStatus.DELIVERED
    with pytest.raises(ValidationError) as refused:
        owned_record_save(record=report, actor=report.consultant.user)
    # then it is refused and stays a draft
    assert "status" in refused.value.message_dict
    assert Report.objects.get(pk=report.pk).status == DeliverableStatus.DRAFT


def test_a_consultant_delivers_their_own_report_and_it_is_stamped():
    # given a consultant's draft report (they hold change on it through ownership)
    report = ReportFactory()
    consultant_user = get_user_model().objects.get(pk=report.consultant.user_id)
    # when they deliver it
    delivered = deliverable_status_set(deliverable=report, status=DeliverableStatus.DELIVERED, actor=consultant_user)
    # then it is delivered now, and cannot be delivered again
    report.refresh_from_db()
    assert report.status == DeliverableStatus.DELIVERED
    assert report.delivered_at == delivered.delivered_at is not None
    with pytest.raises(ValidationError, match="is delivered; it cannot become delivered"):
        deliverable_status_set(deliverable=report, status=DeliverableStatus.DELIVERED, actor=consultant_user)


def test_a_consultant_cannot_deliver_someone_elses_study():
    study, intruder = FeasibilityStudyFactory(), ConsultantFactory()
    with pytest.raises(PermissionDenied):
        deliverable_status_set(deliverable=study, status=DeliverableStatus.DELIVERED, actor=intruder.user)
    study.refresh_from_db()
    assert (study.status, study.delivered_at) == (DeliverableStatus.DRAFT, None)


def test_publishing_an_article_takes_its_author_or_the_permission_to_act_for_them():
    # given an article, an editor who may change articles, and one who may also act for consultants
    article = ArticleFactory()
    editor = holding(UserFactory(), "consultants.change_article")
    delegate = holding(UserFactory(), "consultants.change_article", ACT_FOR_CONSULTANT.codename)
    # when the editor tries to publish it, they are refused
    with pytest.raises(PermissionDenied):
        article_status_set(article=article, status=ArticleStatus.PUBLISHED, actor=editor)
    # and when the delegate does, it is published and stamped
    article_status_set(article=article, status=ArticleStatus.PUBLISHED, actor=delegate)
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED and article.published_at is not None
