"""Working days on the official calendar (限时办结 counts them), and calendar days for petitions.

chinesecalendar knows holidays and adjusted workdays up to the last year the State Council has
published; administrators' CalendarOverride rows win over it, and years it does not know fall
back to Monday to Friday until an administrator enters their overrides.
"""

from datetime import date, datetime, time, timedelta

import chinese_calendar
from django.utils import timezone

from .models import CalendarOverride

# Deadlines fall at the close of business, local time.
DUE_TIME = time(18, 0)


class WorkingCalendar:
    """Reads the overrides once; use one instance for many dates."""

    def __init__(self):
        self.overrides = dict(CalendarOverride.objects.values_list("date", "is_workday"))

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            return day.weekday() < 5

    def add(self, day: date, working_days: int) -> date:
        """The date ``working_days`` working days after ``day`` (which itself does not count);
        a negative number counts back before it."""
        step = timedelta(days=1 if working_days >= 0 else -1)
        remaining = abs(working_days)
        while remaining > 0:
            day += step
            if self.is_workday(day):
                remaining -= 1
        return day


def start_of_day(day: date) -> datetime:
    """Local midnight at the start of a date."""
    return timezone.make_aware(datetime.combine(day, time.min))


def close_of_business(day: date) -> datetime:
    """The deadline moment of a local date."""
    return timezone.make_aware(datetime.combine(day, DUE_TIME))


def working_days_after(moment: datetime, working_days: int, calendar: WorkingCalendar | None = None) -> datetime:
    """Close of business on the ``working_days``-th working day after ``moment``'s local date."""
    calendar = calendar or WorkingCalendar()
    return close_of_business(calendar.add(timezone.localdate(moment), working_days))
