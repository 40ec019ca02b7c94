"""Template filters for `core.formatting`: ``{% load formatting %}``, then
``{{ backup.size_bytes|file_size }}``, ``{{ payment.amount|money:payment.currency }}``,
``{{ service.duration_minutes|duration }}``, ``{{ value|quantity:"sessions" }}``."""

from django import template

from core import formatting

register = template.Library()


@register.filter
def file_size(num_bytes):
    return formatting.file_size(num_bytes)


@register.filter
def money(amount, currency):
    return formatting.money(amount, currency)


@register.filter
def duration(minutes):
    return formatting.duration(minutes)


@register.filter
def quantity(value, unit=""):
    return formatting.quantity(value, unit)
