"""The client help center, mounted at /help/ (config/urls.py). Who may reach what: support.help_views."""

from django.urls import path

from support import help_inbox_views
from support import help_views as views

app_name = "help"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.HelpSignInView.as_view(), name="sign_in"),
    path("new/", views.ticket_new, name="ticket_new"),
    path("tickets/<str:reference>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<str:reference>/reply/", views.ticket_reply_post, name="ticket_reply"),
    path("notifications/", help_inbox_views.inbox, name="notifications"),
    path("notifications/<int:pk>/read/", help_inbox_views.notification_read, name="notification_read"),
    path("notifications/read-all/", help_inbox_views.notifications_read_all, name="notifications_read_all"),
    path("notifications/preferences/", help_inbox_views.preferences, name="notification_preferences"),
]
