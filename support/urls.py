"""The staff desk, mounted at /staff/support/."""

from django.urls import path

from support import views

app_name = "support"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("bulk/", views.queue_bulk, name="queue_bulk"),
    path("tickets/<str:reference>/", views.ticket_detail, name="ticket"),
    path("tickets/<str:reference>/reply/", views.ticket_reply, name="ticket_reply"),
    path("tickets/<str:reference>/assign/", views.ticket_assign, name="ticket_assign"),
    path("tickets/<str:reference>/priority/", views.ticket_priority, name="ticket_priority"),
    path("tickets/<str:reference>/status/", views.ticket_status, name="ticket_status"),
]
