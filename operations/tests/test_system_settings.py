"""System settings: defaults from the environment, validated all-or-nothing changes, read through the shared
cache, allowed only to those who hold the permission. (The audit event a change leaves, and roles granting
the permission, are tested above this app: auditing/tests/test_operations_audit.py,
accounts/tests/test_operations_permissions.py.)"""

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.module_loading import import_string
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from operations import system_settings
from operations.models import SystemSetting
from operations.services import system_settings_update
from operations.system_settings import CHECKS, GENERATION_KEY, SETTINGS, system_setting, system_settings_in_force

pytestmark = pytest.mark.django_db

SWITCH = "jobs.job-runs-cleanup.enabled"


def update(changes, by, capture):
    """``system_settings_update`` as a request runs it: its after-commit work (forgetting the cache) done."""
    with capture(execute=True):
        return system_settings_update(changes=changes, by=by)


def test_defaults_follow_the_django_settings_of_the_moment(settings):
    # given no value stored, and the environment's value changed while the process runs (as a test does)
    settings.SUPPORT_AUTO_CLOSE_DAYS = 11
    assert system_setting("support.auto_close_days") == 11
    settings.SUPPORT_AUTO_CLOSE_DAYS = 12
    settings.PERIODIC_JOBS = {**settings.PERIODIC_JOBS, "attachments-sweep": "2h"}
    # then the default in force follows at once, cache or not
    assert system_setting("support.auto_close_days") == 12
    assert system_setting("jobs.attachments-sweep.schedule") == "2h"
    assert system_setting("jobs.attachments-sweep.enabled") is True


def test_every_setting_has_a_default_that_its_own_validation_accepts():
    # A default that the settings page would refuse could never be saved back unchanged.
    for key, setting in SETTINGS.items():
        assert setting.clean(setting.default()) == setting.default(), key


def test_every_validator_named_by_its_dotted_path_exists():
    # A validator is named, not imported (its app sits above operations): a typo would only show on a save.
    validators = [setting.validator for setting in SETTINGS.values()] + [check.validator for check in CHECKS]
    for validator in validators:
        if isinstance(validator, str):
            assert callable(import_string(validator)), validator
    for check in CHECKS:
        assert check.keys <= set(SETTINGS), check


def test_a_stored_value_wins_over_the_default_and_is_read_from_the_cache(
    operator, settings, django_capture_on_commit_callbacks, django_assert_num_queries
):
    settings.SUPPORT_AUTO_CLOSE_DAYS = 7
    changed = update({"support.auto_close_days": "10"}, operator, django_capture_on_commit_callbacks)

    assert changed == {"support.auto_close_days": 10}
    # one query to fill the cache, then none, for any number of readers of any key
    with django_assert_num_queries(1):
        assert system_setting("support.auto_close_days") == 10
        assert system_setting("logs.retention_days.INFO") == settings.SYSTEM_LOG_RETENTION_DAYS["INFO"]
        assert system_settings_in_force()["support.auto_close_days"] == 10
    settings.SUPPORT_AUTO_CLOSE_DAYS = 30
    assert system_setting("support.auto_close_days") == 10


def test_a_change_reaches_every_reader_when_it_commits(operator, django_capture_on_commit_callbacks):
    # given a job's switch read (and so cached) by every process
    assert system_setting(SWITCH) is True
    # when staff switch it off
    update({SWITCH: False}, operator, django_capture_on_commit_callbacks)
    # then the next reader in any process sees it off
    assert system_setting(SWITCH) is False


def test_a_change_not_yet_committed_is_not_seen_by_other_readers(operator, django_capture_on_commit_callbacks):
    system_setting(SWITCH)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        system_settings_update(changes={SWITCH: False}, by=operator)
    # other processes must not see a value a rollback could still undo: the cache still gives the old one
    with CaptureQueriesContext(connection) as queries:
        assert system_setting(SWITCH) is True
    assert not queries
    assert len(callbacks) == 1


def test_a_reader_that_stores_what_it_read_before_a_change_committed_is_not_believed(
    operator, monkeypatch, django_capture_on_commit_callbacks
):
    # given a reader that misses the cache and reads the table, and then, before it stores what it read,
    # staff switch a job off and their change commits
    read_the_table = system_settings._stored_rows

    def read_then_a_change_commits():
        rows = read_the_table()
        update({SWITCH: False}, operator, django_capture_on_commit_callbacks)
        return rows

    monkeypatch.setattr(system_settings, "_stored_rows", read_then_a_change_commits)

    # when the reader stores what it read (the job still on) and answers with it
    assert system_setting(SWITCH) is True
    monkeypatch.undo()

    # then the next read, in any process, sees the job off rather than the stale values for an hour
    assert system_setting(SWITCH) is False
    assert system_setting(SWITCH) is False  # and caches it


def test_a_lost_generation_makes_readers_read_the_table_again(operator, django_capture_on_commit_callbacks):
    # given values cached, then the cache's generation evicted (Redis under memory pressure) and a change
    system_setting(SWITCH)
    cache.delete(GENERATION_KEY)
    SystemSetting.objects.create(key=SWITCH, value=False, updated_by=operator)
    # then what was cached under the lost generation is not used
    assert system_setting(SWITCH) is False


def test_one_refused_value_stores_none_of_the_changes(operator, django_capture_on_commit_callbacks):
    # given three changes, one of them out of bounds and one for a key that does not exist
    changes = {"support.auto_close_days": 10, "logs.retention_days.INFO": 0, "no.such.key": 1}

    with pytest.raises(ValidationError) as refused:
        update(changes, operator, django_capture_on_commit_callbacks)

    # then each refusal names its key and says why, and nothing was stored
    assert refused.value.message_dict["logs.retention_days.INFO"] == ["The lowest allowed value is 1."]
    assert "There is no setting named no.such.key." in refused.value.message_dict["no.such.key"]
    assert "support.auto_close_days" not in refused.value.message_dict
    assert not SystemSetting.objects.exists()


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("jobs.audit-rows-seal.enabled", "yes", "Choose on or off."),
        ("jobs.audit-rows-seal.enabled", 1, "Choose on or off."),
        ("jobs.audit-rows-seal.schedule", "every day", "crontab of five fields"),
        ("jobs.audit-rows-seal.schedule", "0s", "between 1 second and 31 days"),
        ("support.auto_close_days", "1.5", "Enter a whole number."),
        ("support.auto_close_days", 2.5, "Enter a whole number."),
        ("support.auto_close_days", True, "Enter a whole number."),
        ("support.auto_close_days", "ten\x00", "not allowed"),
        ("support.auto_close_days", 366, "The highest allowed value is 365."),
        ("support.auto_close_days", 10**30, "The highest allowed value is 365."),
        ("support.sla.first_response_hours.URGENT", "nan", "Enter a number of hours"),
        ("support.sla.first_response_hours.URGENT", "inf", "Enter a number of hours"),
        ("support.sla.first_response_hours.URGENT", 0, "The lowest allowed value is 0.1."),
        ("support.business_hours", "x" * 600, "Keep this under 500 characters."),
    ],
)
def test_bad_values_are_refused_with_the_reason(operator, django_capture_on_commit_callbacks, key, value, message):
    with pytest.raises(ValidationError) as refused:
        update({key: value}, operator, django_capture_on_commit_callbacks)
    assert message in " ".join(refused.value.message_dict[key])
    assert not SystemSetting.objects.exists()


def test_saving_the_default_unchanged_stores_nothing_so_the_default_keeps_following_the_environment(
    operator, settings, django_capture_on_commit_callbacks
):
    settings.SUPPORT_AUTO_CLOSE_DAYS = 7
    assert update({"support.auto_close_days": 7}, operator, django_capture_on_commit_callbacks) == {}
    assert not SystemSetting.objects.exists()
    settings.SUPPORT_AUTO_CLOSE_DAYS = 9
    assert system_setting("support.auto_close_days") == 9


def test_someone_without_the_permission_cannot_change_settings(onlooker, django_capture_on_commit_callbacks):
    with pytest.raises(PermissionDenied):
        update({"support.auto_close_days": 10}, onlooker, django_capture_on_commit_callbacks)
    assert not SystemSetting.objects.exists()


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key=st.sampled_from(sorted(SETTINGS)),
    raw=st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=60),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    ),
)
def test_any_value_for_any_setting_is_either_cleaned_or_refused_with_a_validation_error(key, raw):
    try:
        value = SETTINGS[key].clean(raw)
    except ValidationError:
        return
    # and what is stored is cleaned already: cleaning it again changes nothing
    assert SETTINGS[key].clean(value) == value
