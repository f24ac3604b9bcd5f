"""The business day a scheduled run works on, from the moment it was scheduled for."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

SCHEDULE_TIMEZONE = "Asia/Shanghai"
"""the deployment's time zone: prefect.yaml's schedules are in it"""


def local_day(moment: datetime) -> date:
    """The calendar day of `moment` in the deployment's time zone (Asia/Shanghai)."""
    return moment.astimezone(ZoneInfo(SCHEDULE_TIMEZONE)).date()


def day_just_ended(moment: datetime) -> date:
    """The business day that ended before `moment`: a run scheduled for 02:00 on 06-05
    (Shanghai) works on 06-04, and so does its retry at 09:00 or its late start."""
    return local_day(moment) - timedelta(days=1)
