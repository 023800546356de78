"""Calendars from CSV and iCalendar: every column, defaults, and clear errors naming the line."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from trousseau.errors import InvalidValue
from trousseau.planning import from_csv, from_ical, to_csv

SLAS = ("same-day", "next-day", "standard")
CSV = """wedding,date,ceremony_time,timezone,region,culture,guests,expected_photos,sla
patel-shah,2027-06-19,14:30,Asia/Kolkata,india,Indian,350,,same-day
smith-jones,2027-06-19,,Europe/London,,,,2500,
"""


def test_csv_reads_every_column_and_its_defaults() -> None:
    a, b = from_csv(CSV, slas=SLAS, default_sla="standard")
    assert (a.ref, a.date, a.ceremony_time, a.region, a.culture, a.guests, a.sla) == (
        "patel-shah", date(2027, 6, 19), time(14, 30), "india", "indian", 350, "same-day"
    )  # fmt: skip
    assert a.ceremony == datetime(2027, 6, 19, 9, 0, tzinfo=UTC)
    assert (b.ceremony_time, b.region, b.culture, b.expected_photos, b.sla) == (
        time(15, 0), "Europe/London", "other", 2500, "standard"
    )  # fmt: skip
    assert from_csv(to_csv([a, b]), slas=SLAS, default_sla="standard") == [a, b]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("x,2027-06-19,,Mars/Base,,,,,", "line 2: 'Mars/Base' is not an IANA time zone"),
        ("x,2027-13-01,,UTC,,,,,", "line 2: date '2027-13-01' is not YYYY-MM-DD"),
        ("x,2027-06-19,25:00,UTC,,,,,", "line 2: ceremony_time '25:00' is not HH:MM"),
        ("x,2027-06-19,,UTC,,,many,,", "line 2: guests 'many' is not a whole number"),
        ("x,2027-06-19,,UTC,,,,,yesterday", "line 2: sla 'yesterday' is not a configured class"),
        (",2027-06-19,,UTC,,,,,", "line 2: the wedding has no name"),
    ],
)
def test_bad_lines_are_named(line: str, message: str) -> None:
    header = CSV.splitlines()[0]
    with pytest.raises(InvalidValue, match=message.replace("(", r"\(")):
        from_csv(f"{header}\n{line}\n", slas=SLAS, default_sla="standard", source="june.csv")


def test_a_header_without_the_needed_columns_is_refused() -> None:
    with pytest.raises(InvalidValue, match="lacks wedding, date, timezone"):
        from_csv("name,day\nx,y\n", slas=SLAS, default_sla="standard")


ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:okafor-bello
SUMMARY:Okafor & Bello
DTSTART;TZID=Africa/Lagos:20270619T130000
DTEND;TZID=Africa/Lagos:20270619T230000
X-TROUSSEAU-REGION:nigeria
X-TROUSSEAU-CULTURE:Nigerian
X-TROUSSEAU-GUESTS:600
X-TROUSSEAU-SLA:same-day
END:VEVENT
BEGIN:VEVENT
UID:all-day
DTSTART;VALUE=DATE:20270620
DESCRIPTION:timezone: Europe/Athens\\nculture: greek\\nphotos: 3100
END:VEVENT
END:VCALENDAR
"""


def test_ical_events_are_weddings() -> None:
    a, b = from_ical(ICS, slas=SLAS, default_sla="standard")
    assert (a.ref, a.ceremony_time, a.timezone, a.region, a.culture, a.guests, a.sla) == (
        "okafor-bello", time(13, 0), "Africa/Lagos", "nigeria", "nigerian", 600, "same-day"
    )  # fmt: skip
    assert (b.date, b.ceremony_time, b.timezone, b.culture, b.expected_photos) == (
        date(2027, 6, 20), time(15, 0), "Europe/Athens", "greek", 3100
    )  # fmt: skip
    with pytest.raises(InvalidValue, match="is not an iCalendar file"):
        from_ical(b"BEGIN:NOTHING\r\n", slas=SLAS, default_sla="standard")
