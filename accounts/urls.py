from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("roles/", views.role_list, name="role_list"),
    path("roles/new/", views.role_create, name="role_create"),
    path("roles/<int:pk>/", views.role_detail, name="role_detail"),
    path("roles/<int:pk>/details/", views.role_update, name="role_update"),
    path("roles/<int:pk>/permissions/", views.role_permissions, name="role_permissions"),
    path("roles/<int:pk>/delete/", views.role_delete, name="role_delete"),
    path("users/<int:user_id>/roles/", views.user_roles, name="user_roles"),
    path("users/<int:user_id>/roles/grant/", views.user_role_grant, name="user_role_grant"),
    path("users/<int:user_id>/roles/<int:assignment_id>/revoke/", views.user_role_revoke, name="user_role_revoke"),
    path("permissions/holders/", views.permission_holders, name="permission_holders"),
]
