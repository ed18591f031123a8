"""Template helpers: times in UK local time, dates in words, the layout's fixed links."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request, url_for

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


# Where an application keeps the layout's links it has worked out.
LAYOUT_URLS = "openpep_layout_urls"


def layout_url(endpoint: str, filename: str | None = None) -> str:
    """A link the layout writes on every page that takes no value from the page: a stylesheet,
    a script, the home page, sign out. Worked out once per application and mount point
    (`request.script_root`, which a proxy may set) and then remembered: every page wrote about
    twenty of them, and each `url_for` cost as much as a form field."""
    key = (request.script_root, endpoint, filename)
    known: dict[tuple[str, str, str | None], str] = current_app.extensions[LAYOUT_URLS]
    url = known.get(key)
    if url is None:
        url = url_for(endpoint) if filename is None else url_for(endpoint, filename=filename)
        known[key] = url
    return url


def register_template_helpers(app: Flask) -> None:
    app.extensions[LAYOUT_URLS] = {}
    app.add_template_global(layout_url, "layout_url")
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(local_datetime, "local_datetime")
    app.add_template_global(display_fact, "display_fact")
