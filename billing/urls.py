"""The finance staff pages, mounted at /staff/finance/."""

from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("", views.payments, name="payments"),
    path("export/", views.payments_export, name="payments_export"),
    path("payments/<int:pk>/", views.payment_detail, name="payment"),
    path("payments/<int:pk>/refund/", views.payment_refund, name="payment_refund"),
    path("refunds/", views.refunds, name="refunds"),
    path("refunds/export/", views.refunds_export, name="refunds_export"),
    path("refunds/<int:pk>/approve/", views.refund_approve, name="refund_approve"),
    path("refunds/<int:pk>/reject/", views.refund_reject, name="refund_reject"),
    path("refunds/<int:pk>/process/", views.refund_process, name="refund_process"),
    path("earnings/", views.earnings, name="earnings"),
    path("commissions/", views.commissions, name="commissions"),
    path("commissions/services/<int:pk>/", views.service_commission, name="service_commission"),
]
