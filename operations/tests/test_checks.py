"""The start-up check of the jobs' default schedules: a typo in PERIODIC_JOBS is reported, not silently ignored."""

from operations.checks import periodic_jobs_check


def test_the_shipped_defaults_pass():
    assert periodic_jobs_check(None) == []


def test_a_missing_an_unreadable_and_an_unknown_schedule_are_each_reported(settings):
    schedules = dict(settings.PERIODIC_JOBS)
    del schedules["attachments-sweep"]
    schedules["audit-rows-seal"] = "every 5 seconds"
    schedules["audit-rows-seel"] = "5s"
    settings.PERIODIC_JOBS = schedules

    errors = {error.id: error.msg for error in periodic_jobs_check(None)}

    assert errors == {
        "operations.E001": "PERIODIC_JOBS has no schedule for the job attachments-sweep.",
        "operations.E002": "PERIODIC_JOBS gives the job audit-rows-seal a schedule that cannot be used: Write an "
        "interval such as 15m, or a crontab of five fields: minute hour day month weekday.",
        "operations.E003": "PERIODIC_JOBS names audit-rows-seel, which is not a job.",
    }
