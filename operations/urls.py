"""The operations staff pages, mounted at /staff/operations/."""

from django.urls import path

from operations import views

app_name = "operations"

urlpatterns = [
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/<slug:name>/", views.job_history, name="job_history"),
    path("jobs/<slug:name>/run/", views.job_run, name="job_run"),
    path("settings/", views.system_settings, name="settings"),
]
