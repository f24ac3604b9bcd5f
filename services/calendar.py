"""Working days on China's public-holiday calendar, with its adjusted working weekends (调休).

The calendar is the `chinesecalendar` package's; it knows the State Council's notices year by
year, so a date outside its years is an error, never a guess.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar


class CalendarUnknown(ValueError):
    """The holiday calendar has no data for the year asked about."""


def is_working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as exc:
        raise CalendarUnknown(
            f"the holiday calendar (chinesecalendar {_version()}) has no data for {day.year}: "
            "upgrade the package to a release that knows that year"
        ) from exc


def add_working_days(start: date, days: int) -> date:
    """The day on which `days` working days counted from the day after `start` are over.

    2020-09-28 + 5 → 2020-10-12: 09-29, 09-30, (10-01..10-08 off), 10-09, Saturday 10-10
    (worked), (Sunday 10-11 off), 10-12.
    """
    if days < 1:
        raise ValueError(f"a window needs at least one working day, not {days}")
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def _version() -> str:
    return str(getattr(chinese_calendar, "__version__", "?"))
