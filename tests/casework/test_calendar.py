from datetime import date, datetime

from django.utils import timezone

from casework.calendar import WorkingCalendar, working_days_after
from casework.models import CalendarOverride


def test_spring_festival_2026_and_its_adjusted_saturday(db):
    calendar = WorkingCalendar()
    assert calendar.is_workday(date(2026, 2, 14))  # a Saturday made a workday
    assert not calendar.is_workday(date(2026, 2, 17))  # Spring Festival
    # Friday 13 Feb + 1 working day is the adjusted Saturday; + 2 jumps the whole holiday.
    assert calendar.add(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert calendar.add(date(2026, 2, 13), 2) > date(2026, 2, 22)


def test_an_administrators_override_wins(db):
    CalendarOverride.objects.create(date=date(2026, 11, 23), is_workday=False, note="Flood day")
    calendar = WorkingCalendar()
    assert not calendar.is_workday(date(2026, 11, 23))
    assert calendar.add(date(2026, 11, 20), 1) == date(2026, 11, 24)


def test_a_year_the_package_does_not_know_falls_back_to_weekdays(db):
    calendar = WorkingCalendar()
    assert calendar.is_workday(date(2027, 3, 1))  # a Monday
    assert not calendar.is_workday(date(2027, 3, 6))  # a Saturday


def test_a_deadline_is_close_of_business_local_time(db):
    friday_morning = timezone.make_aware(datetime(2026, 11, 20, 9, 30))
    due = working_days_after(friday_morning, 1)
    assert timezone.localtime(due).replace(tzinfo=None) == datetime(2026, 11, 23, 18, 0)
