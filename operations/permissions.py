"""The permissions operations' pages and services check, by name (seeded by ``accounts.rbac_catalog``)."""

VIEW_JOB_RUNS = "operations.view_jobrun"
RUN_JOB = "operations.run_jobrun"
VIEW_SYSTEM_SETTINGS = "operations.view_systemsetting"
CHANGE_SYSTEM_SETTINGS = "operations.change_systemsetting"
