# The booking pages' month overview, day view, zone picker, live updates
# and "add to calendar" links (issue 12 §4; templates/month.html,
# zone_picker.html, next_available.html, live_slots.html,
# add_to_calendar.html, src/web/slots.rs, month.rs, live.rs, profile.rs).
# English is the reference: every other language has exactly these keys.

## The open times of a day or a week

slots-heading-day = Open times on { $day }
slots-heading-week = Open times, week of { $week }
slots-days = Days
slots-previous-day = Previous day
slots-next-day = Next day
slots-whole-week = All open times of this week
slots-caption-day = Open times on { $day }, in { $tz }
next-none-day = No open times on this day.
next-none-week = No open times this week.
next-available = Next available:
next-nothing = Nothing is open in the coming months yet.

## The month overview ($day is a long date, $month "May 2026")

month-nav = Months
month-previous = Previous month
month-next = Next month
month-caption = Days of { $month }; days with open times are links.
month-day-open = { $n ->
    [one] { $day }, one open time
   *[other] { $day }, { $n } open times
}
month-empty = No open times in { $month }.

## The time zone picker

zone-times-in = Times are in { $tz }.
zone-coach-in = { $coach } is in { $zone }.
zone-type-to-change = Type a city or a zone to change it.
zone-unknown = “{ $typed }” is not a time zone we know. Type a city like Berlin, or a zone like Europe/Berlin.

## Live updates of the open times (with JavaScript)

live-taken = Just taken:
live-more = More open times are available: reload the page to see them.
live-bad-from = “from” must be a date (YYYY-MM-DD) near today.
live-bad-days = “days” must be a number from 1 to { $max }.

## Add to calendar

add-heading = Add to your calendar
add-ics-apps = : Apple Calendar and other apps
add-google = Google Calendar
add-outlook = Outlook.com
add-new-tab = (opens in a new tab)

## The manage page's guardian and series texts

manage-guardian-follows = You follow { $student }'s booking as their parent or guardian. This link shows it; the student can change or cancel it with their own link.
manage-guardian-read-only = This link cannot move or cancel the booking; please ask the student or the coach.
manage-series-change-dates = Move or cancel single dates in the list above.
