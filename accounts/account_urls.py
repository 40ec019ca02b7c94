"""The signed-in person's own account: password, sessions, notifications. Mounted at /account/.

The forgotten-password pages live here too, reached signed out (from the sign-in page's link).
"""

from django.contrib.auth.views import LogoutView
from django.urls import path, reverse_lazy

from accounts import account_views as views
from accounts import notification_views

app_name = "account"

urlpatterns = [
    path("", views.overview, name="overview"),
    # Signing out for everyone signed in, a staff member with no permission left included (the admin's
    # own sign-out is behind its permission check). POST only, as Django's LogoutView requires.
    path("sign-out/", LogoutView.as_view(next_page=reverse_lazy("admin:login")), name="sign_out"),
    path("sessions/<int:pk>/sign-out/", views.session_sign_out, name="session_sign_out"),
    path("sessions/sign-out-others/", views.sessions_sign_out_others, name="sessions_sign_out_others"),
    path("notifications/", notification_views.inbox, name="inbox"),
    path("notifications/<int:pk>/read/", notification_views.notification_read, name="notification_read"),
    path("notifications/read-all/", notification_views.notifications_read_all, name="notifications_read_all"),
    path("notifications/preferences/", notification_views.preferences, name="notification_preferences"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/changed/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("password/reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
