from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def minutes(value) -> int:
    """Whole minutes in a timedelta, rounded up (a lockout of 29.5 minutes reads 30)."""
    if not isinstance(value, timedelta):
        return 0
    return -(-int(value.total_seconds()) // 60)
