"""Consultants hold view/change on their own bookings, reports and studies, and only on those."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts.tests.factories import fresh
from consultants.models import Booking, BookingUserObjectPermission, Report
from consultants.selectors import bookings_visible_to, reports_visible_to
from consultants.tests.factories import BookingFactory, ConsultantFactory, ReportFactory, ServiceFactory
from core.derived_grants import DerivedGrants, derived_grants_register, derived_grants_sync, owned_rows_update

pytestmark = pytest.mark.django_db


def test_a_consultant_may_view_and_change_their_own_booking_only():
    # given two consultants with a booking each
    mine, theirs = BookingFactory(), BookingFactory()
    me = fresh(mine.consultant.user)
    # then
    assert me.has_perm("consultants.view_booking", mine)
    assert me.has_perm("consultants.change_booking", mine)
    assert not me.has_perm("consultants.delete_booking", mine)
    assert not me.has_perm("consultants.view_booking", theirs)
    assert not me.has_perm("consultants.view_booking")  # no model-wide grant


def test_handing_a_booking_to_another_consultant_moves_the_grants():
    booking = BookingFactory()
    previous = booking.consultant
    successor = ConsultantFactory()
    # when
    booking.consultant = successor
    booking.save()
    # then
    assert fresh(successor.user).has_perm("consultants.change_booking", booking)
    assert not fresh(previous.user).has_perm("consultants.view_booking", booking)


def test_deleting_an_object_leaves_no_orphaned_grants():
    # given a report on a booking, the booking's consultant holding view/change on it
    report = ReportFactory()
    booking = report.booking
    assert booking is not None
    booking_pk = booking.pk  # delete() forgets it
    assert BookingUserObjectPermission.objects.filter(content_object_id=booking_pk).count() == 2
    # when both are deleted
    report.delete()
    booking.delete()
    # then no grant outlives the booking
    assert not BookingUserObjectPermission.objects.filter(content_object_id=booking_pk).exists()


def test_lists_show_only_own_objects_in_a_constant_number_of_queries(django_assert_max_num_queries):
    # given a consultant with 2 bookings among others
    service = ServiceFactory()
    BookingFactory.create_batch(2, service=service)
    BookingFactory.create_batch(3)
    consultant_user = fresh(service.consultant.user)
    with django_assert_max_num_queries(4) as few:
        assert len(list(bookings_visible_to(user=consultant_user))) == 2
    # when they get 20 more
    BookingFactory.create_batch(20, service=service)
    consultant_user = fresh(service.consultant.user)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(list(bookings_visible_to(user=consultant_user))) == 22


def test_bulk_written_objects_get_their_grants_in_one_batch(django_assert_max_num_queries):
    # given reports written in bulk (no signals)
    base = ReportFactory()
    Report.objects.bulk_create(
        [Report(consultant=base.consultant, client=base.client, title=f"R{i}") for i in range(50)]
    )
    ids = list(Report.objects.values_list("pk", flat=True))
    # when synchronised
    with django_assert_max_num_queries(8):
        derived_grants_sync(model=Report, object_ids=ids)
    # then the consultant sees all 51
    assert reports_visible_to(user=fresh(base.consultant.user)).count() == 51


def test_staff_with_a_model_wide_role_grant_see_every_booking():
    from accounts.models import UserRole
    from accounts.tests.factories import PermissionFactory, RoleFactory, UserFactory

    BookingFactory.create_batch(3)
    role = RoleFactory(name="OPERATIONS")
    role.role_permissions.create(permission=PermissionFactory(resource="consultants.booking", action="view"))
    staff = UserFactory(is_staff=True)
    UserRole.objects.create(user=staff, role=role)
    assert bookings_visible_to(user=fresh(staff)).count() == Booking.objects.count() == 3


def test_moving_a_consultant_profile_to_another_account_moves_the_grants():
    booking = BookingFactory()
    consultant = booking.consultant
    previous_user = consultant.user
    from accounts.tests.factories import UserFactory

    consultant.user = UserFactory()
    consultant.save()
    assert fresh(consultant.user).has_perm("consultants.view_booking", booking)
    assert not fresh(previous_user).has_perm("consultants.view_booking", booking)


def test_a_suspended_consultant_sees_nothing():
    from accounts.models import UserStatus

    booking = BookingFactory()
    user = booking.consultant.user
    user.status = UserStatus.SUSPENDED
    user.save(update_fields=["status"])
    assert not bookings_visible_to(user=fresh(user)).exists()
    assert not fresh(user).has_perm("consultants.view_booking", booking)


def test_ownership_never_removes_grants_it_did_not_give():
    from django.contrib.auth.models import Permission as DjangoPermission

    from accounts.tests.factories import UserFactory

    booking = BookingFactory()
    client_user = UserFactory()
    view = DjangoPermission.objects.get(codename="view_booking")
    BookingUserObjectPermission.objects.create(content_object=booking, user=client_user, permission=view)
    booking.consultant = ConsultantFactory()
    booking.save()
    assert fresh(client_user).has_perm("consultants.view_booking", booking)


def test_a_bulk_hand_over_of_bookings_moves_the_grants():
    # given two bookings of one consultant
    first = BookingFactory()
    BookingFactory(service=first.service)
    previous, successor = first.consultant, ConsultantFactory()
    # when both go to another consultant in one update
    moved = owned_rows_update(queryset=Booking.objects.filter(consultant=previous), consultant=successor)
    # then the successor sees both and the previous consultant neither
    assert moved == 2
    assert bookings_visible_to(user=fresh(successor.user)).count() == 2
    assert not bookings_visible_to(user=fresh(previous.user)).exists()


def test_two_rules_may_not_give_the_same_permission_on_a_model():
    # A booking's client following "view" as well would take back the consultant's grant, and back.
    clients_view = DerivedGrants(
        model=Booking, owner="client", permissions=("consultants.view_booking",), grants=BookingUserObjectPermission
    )
    with pytest.raises(ImproperlyConfigured):
        derived_grants_register(clients_view)
