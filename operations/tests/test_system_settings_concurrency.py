"""Two people saving the system settings at once, each in a thread of its own with its own database
connection (transactional tests: what one commits, the other sees). Whoever saves second over a value the
first just changed is told, and nothing escapes as a server error."""

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from core.testing import in_thread
from operations.models import SystemSetting
from operations.services import system_settings_update
from operations.system_settings import SETTINGS, system_setting

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "logs.retention_days.INFO"
WAIT_SECONDS = 30  # only ever reached when something is broken


def refused_for_a_change_meanwhile(outcome: dict[str, Any]) -> bool:
    error = outcome.get("error")
    return (
        isinstance(error, ValidationError)
        and "Someone changed this since the page was shown" in " ".join(error.message_dict.get(KEY, []))
        and "result" not in outcome
    )


def test_two_first_saves_of_a_setting_at_once_one_wins_and_the_other_is_told(superuser_maker):
    # given two people who opened the page while the setting still had its default
    shown = {KEY: SETTINGS[KEY].default()}
    people = [superuser_maker(full_name="Ann"), superuser_maker(full_name="Bob")]
    start = threading.Barrier(2, timeout=WAIT_SECONDS)

    def save(person, days):
        def work():
            start.wait()
            return system_settings_update(changes={KEY: days}, by=person, shown=shown)

        return work

    # when both save a value of their own at the same moment
    runs = [in_thread(save(person, days)) for person, days in zip(people, (11, 22), strict=True)]
    for thread, _outcome in runs:
        thread.join(WAIT_SECONDS)

    # then nothing escaped but one refusal: one save is stored, and the other person is told why
    outcomes = [outcome for _thread, outcome in runs]
    winners = [outcome for outcome in outcomes if "result" in outcome]
    losers = [outcome for outcome in outcomes if refused_for_a_change_meanwhile(outcome)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    (row,) = SystemSetting.objects.all()
    assert {KEY: row.value} == winners[0]["result"]
    assert system_setting(KEY) == row.value


def test_a_save_waits_for_one_in_progress_and_is_then_refused_over_its_value(superuser_maker):
    # given one person's save written but not yet committed
    ann, bob = superuser_maker(full_name="Ann"), superuser_maker(full_name="Bob")
    shown = {KEY: SETTINGS[KEY].default()}
    written, commit = threading.Event(), threading.Event()

    def ann_saves():
        with transaction.atomic():
            changed = system_settings_update(changes={KEY: 11}, by=ann, shown=shown)
            written.set()
            assert commit.wait(WAIT_SECONDS)
        return changed

    ann_thread, ann_outcome = in_thread(ann_saves)
    assert written.wait(WAIT_SECONDS)

    # when another person, who saw the same page, saves the same setting
    pid: dict[str, int] = {}

    def bob_saves():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid["bob"] = cursor.fetchone()[0]
        return system_settings_update(changes={KEY: 22}, by=bob, shown=shown)

    bob_thread, bob_outcome = in_thread(bob_saves)
    # then that save waits for the first to end (rather than read the rows as they were before it) ...
    waiting_for_ann(lambda: pid.get("bob"))
    commit.set()
    ann_thread.join(WAIT_SECONDS)
    bob_thread.join(WAIT_SECONDS)

    # ... and is refused, saying someone changed it; the first save stands
    assert ann_outcome == {"result": {KEY: 11}}
    assert refused_for_a_change_meanwhile(bob_outcome), bob_outcome
    assert "(now: 11)" in bob_outcome["error"].message_dict[KEY][0]
    assert dict(SystemSetting.objects.values_list("key", "value")) == {KEY: 11}


def test_a_save_asking_for_the_value_someone_just_saved_is_not_a_conflict(superuser_maker):
    ann, bob = superuser_maker(full_name="Ann"), superuser_maker(full_name="Bob")
    shown = {KEY: SETTINGS[KEY].default()}
    system_settings_update(changes={KEY: 11}, by=ann, shown=shown)
    assert system_settings_update(changes={KEY: 11}, by=bob, shown=shown) == {}


def waiting_for_ann(bob_pid: Callable[[], int | None]) -> None:
    """Returns once Bob's connection waits for a lock: his save has reached the point where it must wait for
    Ann's to commit."""
    for _attempt in range(WAIT_SECONDS * 100):
        pid = bob_pid()
        if pid is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted", [pid])
                if cursor.fetchone()[0]:
                    return
        time.sleep(0.01)
    raise AssertionError("the second save never waited for the first")
