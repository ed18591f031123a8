"""Template filters: times in UK local time, dates in words."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask

from forms.fields import format_date_for_people

UK = ZoneInfo("Europe/London")


def local_time(moment: datetime) -> str:
    """ "10:42": what people in England read on the clock."""
    return moment.astimezone(UK).strftime("%H:%M")


def local_datetime(moment: datetime) -> str:
    local = moment.astimezone(UK)
    return f"{format_date_for_people(local.date())} at {local.strftime('%H:%M')}"


def display_fact(value: object) -> str:
    if value is None or value == "":
        return "Not recorded"
    if isinstance(value, date):
        return format_date_for_people(value)
    return str(value)


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(local_datetime, "local_datetime")
    app.add_template_global(display_fact, "display_fact")
