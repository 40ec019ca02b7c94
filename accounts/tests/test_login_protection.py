"""Repeated failed sign-ins pause signing in for the account and for the address, on every sign-in path,
with a page that never tells whether the account exists, until the cool-off has passed."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate
from django.db import connection
from django.test import Client, RequestFactory

from accounts.tests.factories import UserFactory
from auditing.models import AuditAction, AuditLog

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"
ATTACKER = "203.0.113.66"
PAUSED = "Sign-in is paused for this account or from this address"


@pytest.fixture
def limit():
    return settings.AXES_FAILURE_LIMIT


@pytest.fixture
def user():
    return UserFactory(is_staff=True, is_superuser=True, email="boss@example.com")


def sign_in(client, email, password, address=ATTACKER, **headers):
    return client.post(
        "/admin/login/?next=/admin/", {"username": email, "password": password}, REMOTE_ADDR=address, **headers
    )


def fail(client, email, times, address=ATTACKER):
    return [sign_in(client, email, "wrong-password-guess", address) for _ in range(times)]


def signed_in(response) -> bool:
    return response.status_code == 302 and response.url == "/admin/"


def test_after_the_limit_even_the_right_password_is_refused_with_a_clear_page(client, user, limit):
    # given one wrong password fewer than the limit: each is answered by the sign-in form
    assert [response.status_code for response in fail(client, user.email, limit - 1)] == [200] * (limit - 1)
    # when the limit is reached
    reaching = sign_in(client, user.email, "wrong-password-guess")
    # then that answer already says sign-in is paused, and so does the next one with the right password
    answer = sign_in(client, user.email, PASSWORD)
    for response in (reaching, answer):
        assert response.status_code == 429
        assert PAUSED in response.content.decode()
        assert 0 < int(response["Retry-After"]) <= settings.LOGIN_COOLOFF_MINUTES * 60
    assert "in about 15 minutes" in answer.content.decode()
    assert not signed_in(answer)
    assert client.get("/admin/").status_code == 302  # still not signed in


def test_the_pause_looks_the_same_whether_or_not_the_account_exists(user, limit):
    # given, at one moment, a real account and a made-up one each failing from their own address
    answers = {}
    with time_machine.travel(datetime(2026, 3, 2, 9, 30, tzinfo=UTC), tick=False):
        for email, address in ((user.email, "198.51.100.1"), ("nobody@example.com", "198.51.100.2")):
            client = Client()
            fail(client, email, limit, address)
            # when each then tries once more
            answers[email] = sign_in(client, email, PASSWORD, address)
    real, made_up = answers.values()
    # then both get the same page, to the byte: nothing tells the account exists
    assert real.status_code == made_up.status_code == 429
    assert real.content == made_up.content
    assert real["Retry-After"] == made_up["Retry-After"]
    assert "09:45 UTC" in real.content.decode()
    assert user.email not in real.content.decode()


def test_an_address_is_paused_after_failures_against_different_accounts(client, user, limit):
    # given failures from one address, each against a different name
    for index in range(limit):
        fail(client, f"guess{index}@example.com", 1)
    # when someone from that address signs in with a real account's right password
    refused = sign_in(client, user.email, PASSWORD)
    # then it is refused; from another address the same account signs in
    assert refused.status_code == 429 and PAUSED in refused.content.decode()
    assert signed_in(sign_in(Client(), user.email, PASSWORD, address="198.51.100.30"))


def test_an_account_is_paused_whatever_the_address_and_however_it_is_spelled(user, limit):
    # given failures against one account from many addresses, typed in different cases
    for index in range(limit):
        spelled = user.email.upper() if index % 2 else user.email.capitalize()
        fail(Client(), spelled, 1, address=f"192.0.2.{index + 1}")
    # when its owner signs in from a fresh address with the right password
    refused = sign_in(Client(), user.email, PASSWORD, address="198.51.100.99")
    # then it is refused, and another account from that address is not
    assert refused.status_code == 429
    other = UserFactory(is_staff=True, is_superuser=True)
    assert signed_in(sign_in(Client(), other.email, PASSWORD, address="198.51.100.99"))


def test_the_pause_ends_after_the_cool_off(client, user, limit):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    cool_off = timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES)
    # given an account paused at 09:00
    with time_machine.travel(start, tick=False):
        fail(client, user.email, limit)
    # when its owner tries a minute before the cool-off ends, then just after it
    with time_machine.travel(start + cool_off - timedelta(minutes=1), tick=False):
        early = sign_in(client, user.email, PASSWORD)
    with time_machine.travel(start + cool_off + timedelta(seconds=1), tick=False):
        later = sign_in(client, user.email, PASSWORD)
    # then the first is refused (and says one minute), the second signs in
    assert early.status_code == 429 and "in about 1 minute)" in early.content.decode()
    assert signed_in(later)


def test_refused_attempts_do_not_extend_the_pause(client, user, limit):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        fail(client, user.email, limit)
    # given someone keeps trying during the pause
    for minute in range(1, settings.LOGIN_COOLOFF_MINUTES):
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            assert sign_in(client, user.email, "another-guess").status_code == 429
    # then the pause still ends when the page said it would
    with time_machine.travel(start + timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES, seconds=1), tick=False):
        assert signed_in(sign_in(client, user.email, PASSWORD))


def test_a_direct_authenticate_call_is_paused_too(user, limit):
    # given a sign-in page of the future that calls authenticate() itself
    factory = RequestFactory()

    def help_center_sign_in(password):
        request = factory.post("/help/sign-in/", REMOTE_ADDR="198.51.100.77")
        return authenticate(request=request, email=user.email, password=password)

    assert help_center_sign_in(PASSWORD) == user
    # when it sees the limit of wrong passwords
    for _ in range(limit):
        assert help_center_sign_in("wrong-password-guess") is None
    # then the right password is refused there, and on the admin's page
    assert help_center_sign_in(PASSWORD) is None
    assert sign_in(Client(), user.email, PASSWORD, address="198.51.100.78").status_code == 429


def test_a_successful_sign_in_clears_the_accounts_failures(user, limit):
    # given one failure short of the limit, then a successful sign-in
    fail(Client(), user.email, limit - 1)
    assert signed_in(sign_in(Client(), user.email, PASSWORD))
    # when the owner mistypes again as many times
    fail(Client(), user.email, limit - 1)
    # then they still sign in
    assert signed_in(sign_in(Client(), user.email, PASSWORD))


def test_signing_into_ones_own_account_does_not_clear_guesses_at_another(user, limit):
    # given an insider who holds an account guessing at the boss's password from one address
    insider = UserFactory(is_staff=True, is_superuser=True, email="insider@example.com")
    for _ in range(limit):
        fail(Client(), user.email, limit - 1)
        # and signing into their own account between runs of guesses
        if sign_in(Client(), insider.email, PASSWORD).status_code == 429:
            break
    # then the boss's account is paused all the same: the insider's sign-ins cleared only their own
    assert sign_in(Client(), user.email, PASSWORD, address="198.51.100.5").status_code == 429


def test_a_forged_forwarded_for_header_does_not_change_the_address(client, user, limit):
    # given no trusted proxy, and failures each claiming another client address
    for index in range(limit):
        sign_in(client, f"guess{index}@example.com", "x", HTTP_X_FORWARDED_FOR=f"192.0.2.{index}")
    # then the address that really sent them is paused
    assert sign_in(client, user.email, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.200").status_code == 429


def test_behind_a_trusted_proxy_each_client_address_counts_on_its_own(settings, user, limit):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = "10.0.0.2"
    # given failures from one client behind our proxy
    for index in range(limit):
        sign_in(Client(), f"guess{index}@example.com", "x", address=proxy, HTTP_X_FORWARDED_FOR="192.0.2.10")
    # then that client is paused, and another client behind the same proxy is not
    paused = sign_in(Client(), user.email, PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="192.0.2.10")
    other = sign_in(Client(), user.email, PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="192.0.2.11")
    assert paused.status_code == 429
    assert signed_in(other)


def test_nothing_typed_into_the_name_box_is_stored_in_the_lockout_table(client, limit):
    # given someone who types their password into the e-mail box
    fail(client, "Tr0ub4dor&3-my-password", limit)
    # then axes' counters hold only a keyed hash of it
    stored = list(AccessAttempt.objects.values_list("username", "post_data", "get_data"))
    assert stored and "Tr0ub4dor" not in str(stored)
    assert stored[0][0].startswith("hash:")


@pytest.mark.django_db(transaction=True)
def test_the_pause_holds_under_sixteen_concurrent_guessers(user, limit):
    # given 16 clients hammering wrong passwords at one account from one address at the same time
    threads_count, guesses_each = 16, 6
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(threads_count)

    def guesser():
        client = Client()
        try:
            start.wait()
            for _ in range(guesses_each):
                status = sign_in(client, user.email, "wrong-password-guess").status_code
                with lock:
                    statuses.append(status)
        finally:
            connection.close()

    threads = [threading.Thread(target=guesser) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then at most one guess per guesser beyond the limit had its password checked (those already past
    # the check when the limit was reached), every other guess was refused unchecked
    checked = sum(AccessAttempt.objects.filter(username=user.email).values_list("failures_since_start", flat=True))
    assert limit <= checked <= limit + threads_count - 1
    assert statuses.count(429) >= threads_count * guesses_each - (limit - 1) - (threads_count - 1)
    # and the right password is refused afterwards
    assert sign_in(Client(), user.email, PASSWORD).status_code == 429
    # and the audit trail holds one row for the burst and one for the lockout
    rows = AuditLog.objects.filter(entity_id=str(user.pk), action__in=[AuditAction.LOGIN_FAILED, AuditAction.LOCKOUT])
    assert sorted(rows.values_list("action", flat=True)) == sorted([AuditAction.LOGIN_FAILED, AuditAction.LOCKOUT])
    assert rows.get(action=AuditAction.LOCKOUT).changes["failures"] >= limit
