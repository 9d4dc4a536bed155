#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from fixtures/ (and the example config):
# what real clients send and the spec's data. Safe to re-run; libFuzzer
# adds what it finds beside the seeds.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd .. && pwd)
seed() { mkdir -p "corpus/$1"; cp "$2" "corpus/$1/seed-$(basename "$(dirname "$2")")-$(basename "$2")"; }
for f in $(find "$ROOT/fixtures" -name '*.xml'); do seed dav_xml "$f"; done
for f in $(find "$ROOT/fixtures" -name '*.ics'); do seed ical "$f"; done
# calendar-query pairs for the ical target: object NUL report body.
q=0
for f in $(find "$ROOT/fixtures/ical/accepted" -name '*.ics'); do
  q=$((q + 1))
  { cat "$f"; printf '\0'; printf '%s' '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data><C:expand start="20000101T000000Z" end="20300101T000000Z"/></C:calendar-data></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match>a</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>'; } > "corpus/ical/pair-$q"
done
for f in "$ROOT/config.example.toml" $(find "$ROOT/fixtures" -name '*.toml'); do seed config "$f"; done
mkdir -p corpus/http_request corpus/booking_form
printf 'PROPFIND /dav/calendars/ann/calendar/ HTTP/1.1\r\nHost: localhost\r\nDepth: 1\r\nIf: <http://localhost/dav/calendars/ann/calendar/a.ics> (["abc"] Not <DAV:no-lock>)\r\n\r\n' > corpus/http_request/propfind
printf 'MOVE /dav/calendars/ann/calendar/a%%20b.ics\r\nHost: example.org:80\r\nDestination: http://example.org/dav/calendars/ann/work/b.ics\r\nOverwrite: F\r\nIf-Match: "x", W/"y"\r\n\r\n' > corpus/http_request/move
printf 'POST /book/coach/intro-30/hold?week=2026-05-04&tz=Europe%%2FBerlin\r\nCookie: slotdav_csrf=abcdefghijklmnop1234\r\nForwarded: for=192.0.2.1;proto=https;host=book.example\r\nX-Forwarded-For: 10.0.0.1, 192.0.2.7\r\nAuthorization: Basic YW5uOnNlY3JldA==\r\n\r\n' > corpus/http_request/book
printf 'GET /coach/bookings/abc\r\n\r\n' > corpus/http_request/coach
printf 'csrf=abcdefghijklmnop1234&start=2026-05-05T09%%3A00%%3A00%%2B02%%3A00&name=Pat+O%%27Neil&email=pat%%40example.org&note=%%E2%%9C%%93' > corpus/booking_form/confirm
printf 'slotdav_csrf=abcdefghijklmnop1234; other=1' > corpus/booking_form/cookie
echo "seeded: $(for t in corpus/*; do printf '%s=%s ' "$(basename "$t")" "$(ls "$t" | wc -l)"; done)"
