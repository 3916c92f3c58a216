#!/usr/bin/env python3
"""A community's iCalendar feed, read by real iCalendar libraries and held against the JSON API.

    python3 Tests/Calls/ical_feed.py BASE_URL SLUG FROM TO

Run by CallsHTTPTests (swift test) against a live server whose community has series with
exdates, a moved and a cancelled occurrence. Needs `icalendar` and `recurring-ical-events` (pip).
Checks, printing the first failure and exiting 1:
  - 200 with Content-Type `text/calendar; charset=utf-8`; every line ends in CRLF and is at most
    75 octets (folded lines continue with a space);
  - icalendar parses it: VERSION 2.0, PRODID, METHOD:PUBLISH, X-WR-CALNAME, REFRESH-INTERVAL; each
    VEVENT has UID, DTSTAMP and a DTSTART whose TZID has its VTIMEZONE;
  - for every series of the community, the events recurring-ical-events expands between FROM and
    TO (a year across daylight-saving changes) are exactly the occurrences the API lists for that
    window: the same starts and ends in UTC and the same status (cancelled ones CANCELLED).
"""

import json
import sys
import urllib.request
from datetime import datetime, timezone

import icalendar
import recurring_ical_events


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def fetch(url):
    with urllib.request.urlopen(url) as response:
        return response.status, response.headers.get("Content-Type"), response.read()


def utc(value):
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    base, slug, start, end = sys.argv[1:5]
    status, content_type, body = fetch(f"{base}/api/v1/communities/{slug}/calendar.ics")
    if status != 200:
        fail(f"the feed answered {status}")
    if content_type != "text/calendar; charset=utf-8":
        fail(f"Content-Type is {content_type!r}")
    if not body.endswith(b"\r\n"):
        fail("the feed does not end with CRLF")
    for number, line in enumerate(body.split(b"\r\n")[:-1], 1):
        if b"\n" in line or b"\r" in line:
            fail(f"line {number} holds a bare line break")
        if len(line) > 75:
            fail(f"line {number} is {len(line)} octets: {line[:80]!r}")

    calendar = icalendar.Calendar.from_ical(body)
    for name, expected in [("VERSION", "2.0"), ("METHOD", "PUBLISH")]:
        if str(calendar.get(name)) != expected:
            fail(f"{name} is {calendar.get(name)!r}")
    for name in ["PRODID", "X-WR-CALNAME", "REFRESH-INTERVAL"]:
        if calendar.get(name) is None:
            fail(f"the calendar has no {name}")
    zones = {str(component.get("TZID")) for component in calendar.walk("VTIMEZONE")}
    for event in calendar.walk("VEVENT"):
        for name in ["UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"]:
            if event.get(name) is None:
                fail(f"a VEVENT has no {name}: {event.to_ical()[:200]!r}")
        tzid = event["DTSTART"].params.get("TZID")
        if tzid not in zones:
            fail(f"DTSTART's TZID {tzid!r} has no VTIMEZONE (have {sorted(zones)})")

    begin = datetime.fromisoformat(start.replace("Z", "+00:00"))
    finish = datetime.fromisoformat(end.replace("Z", "+00:00"))
    expanded = recurring_ical_events.of(calendar).between(begin, finish)
    _, _, detail = fetch(f"{base}/api/v1/communities/{slug}")
    series = json.loads(detail)["call_series"]
    if not series:
        fail("the community has no series")
    compared = 0
    for one in series:
        uid = f"call-series-{one['id']}@convene"
        from_feed = sorted(
            (utc(event["DTSTART"].dt), utc(event["DTEND"].dt), str(event.get("STATUS", "CONFIRMED")))
            for event in expanded
            if str(event["UID"]) == uid
        )
        _, _, listing = fetch(f"{base}/api/v1/call-series/{one['id']}/occurrences?from={start}&to={end}")
        from_api = sorted(
            (o["starts_at"], o["ends_at"], "CANCELLED" if o["status"] == "cancelled" else "CONFIRMED")
            for o in json.loads(listing)["occurrences"]
        )
        if from_feed != from_api:
            fail(f"series {one['id']} ({one['title']}):\n  feed {from_feed}\n  api  {from_api}")
        compared += len(from_api)
    print(f"ok: {len(series)} series, {compared} occurrences agree")


if __name__ == "__main__":
    main()
