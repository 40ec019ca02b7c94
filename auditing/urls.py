from django.urls import path

from auditing import views

app_name = "auditing"

urlpatterns = [
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("audit/verify/", views.audit_chain_verify, name="audit_chain_verify"),
    path("audit/<int:pk>/", views.audit_detail, name="audit_detail"),
    path("audit/history/<str:entity_type>/<str:entity_id>/", views.entity_history, name="entity_history"),
    path("logs/", views.systemlog_list, name="systemlog_list"),
    path("logs/<int:pk>/", views.systemlog_detail, name="systemlog_detail"),
]
