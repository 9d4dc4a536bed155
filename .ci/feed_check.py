#!/usr/bin/env python3
"""Cross-check a published feed against CalDAV.

Stores a few objects (a weekly series with an EXDATE and a moved
occurrence, an all-day event, a plain event) in a fresh calendar over
CalDAV, publishes it with `slotdav feed add`, and compares the instances
that python `icalendar` + `recurring-ical-events` read from the feed for
one month with what a CalDAV calendar-query with <C:expand> returns for
the same month. Prints `feed-check: N passed, N failed`.

usage: feed_check.py BASE_URL USER PASSWORD SLOTDAV_BIN CONFIG
"""
import datetime as dt
import subprocess
import sys
import urllib.request
import base64

import icalendar
import recurring_ical_events

BASE, USER, PASSWORD, BIN, CONFIG = sys.argv[1:6]
AUTH = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
CAL = f"/dav/calendars/{USER}/feedcheck/"

TZ = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""

OBJECTS = {
    "weekly.ics": f"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//feed-check//EN
{TZ}BEGIN:VEVENT
UID:weekly
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20260302T090000
DTEND;TZID=Europe/Berlin:20260302T100000
RRULE:FREQ=WEEKLY;UNTIL=20260601T000000Z
EXDATE;TZID=Europe/Berlin:20260316T090000
SUMMARY:Weekly across the DST change
END:VEVENT
BEGIN:VEVENT
UID:weekly
DTSTAMP:20260101T000000Z
RECURRENCE-ID;TZID=Europe/Berlin:20260323T090000
DTSTART;TZID=Europe/Berlin:20260324T140000
DTEND;TZID=Europe/Berlin:20260324T150000
SUMMARY:Moved once
END:VEVENT
END:VCALENDAR
""",
    "plain.ics": """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//feed-check//EN
BEGIN:VEVENT
UID:plain
DTSTAMP:20260101T000000Z
DTSTART:20260310T120000Z
DTEND:20260310T130000Z
SUMMARY:Plain
END:VEVENT
END:VCALENDAR
""",
    "allday.ics": """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//feed-check//EN
BEGIN:VEVENT
UID:allday
DTSTAMP:20260101T000000Z
DTSTART;VALUE=DATE:20260320
DTEND;VALUE=DATE:20260321
SUMMARY:All day
END:VEVENT
END:VCALENDAR
""",
}

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS  {name}")
    else:
        failed += 1
        print(f"FAIL  {name}  {detail}")


def request(method, path, body=None, headers=None):
    req = urllib.request.Request(BASE + path, data=body.encode() if body else None, method=method)
    req.add_header("Authorization", AUTH)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def utc(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    return dt.datetime(value.year, value.month, value.day)


request("DELETE", CAL)
status, _ = request("MKCALENDAR", CAL)
check("mkcalendar", status == 201, status)
for name, text in OBJECTS.items():
    status, _ = request("PUT", CAL + name, text.replace("\n", "\r\n"), {"Content-Type": "text/calendar"})
    check(f"put {name}", status in (201, 204), status)

out = subprocess.run([BIN, "feed", "add", USER, "feedcheck", "--config", CONFIG], capture_output=True, text=True)
urls = [w for w in out.stdout.split() if "/feeds/" in w]
check("feed add", out.returncode == 0 and urls, out.stderr)
feed_path = urls[0][urls[0].index("/feeds/"):]
status, feed = request("GET", feed_path)
check("feed get", status == 200, status)

start, end = dt.datetime(2026, 3, 1), dt.datetime(2026, 4, 1)
calendar = icalendar.Calendar.from_ical(feed)
from_feed = set()
for ev in recurring_ical_events.of(calendar).between(start, end):
    from_feed.add((str(ev["UID"]), utc(ev["DTSTART"].dt)))

query = f"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><C:calendar-data><C:expand start="20260301T000000Z" end="20260401T000000Z"/></C:calendar-data></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="20260301T000000Z" end="20260401T000000Z"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""
status, body = request("REPORT", CAL, query, {"Depth": "1", "Content-Type": "application/xml"})
check("caldav expand report", status == 207, status)
import xml.etree.ElementTree as ET

from_caldav = set()
for data in ET.fromstring(body).iter("{urn:ietf:params:xml:ns:caldav}calendar-data"):
    cal = icalendar.Calendar.from_ical(data.text)
    for ev in cal.walk("VEVENT"):
        from_caldav.add((str(ev["UID"]), utc(ev["DTSTART"].dt)))

check("feed parses with python icalendar", len(calendar.walk("VEVENT")) == 4, len(calendar.walk("VEVENT")))
check("one VTIMEZONE in the feed", len(calendar.walk("VTIMEZONE")) == 1, len(calendar.walk("VTIMEZONE")))
check(
    "instances in March: feed == CalDAV expand",
    from_feed == from_caldav and len(from_feed) == 6,
    f"feed-only={sorted(from_feed - from_caldav)} caldav-only={sorted(from_caldav - from_feed)} n={len(from_feed)}",
)
request("DELETE", CAL)
print(f"feed-check: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
