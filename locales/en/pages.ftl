# The public pages (templates/*.html and src/web/*.rs). English is the
# reference: every other language has exactly these keys.
# Arguments are written { $name }; keep them, move them where the sentence needs them.

skip-to-content = Skip to content
lang-switch-label = Language

## Shared labels

label-what = What
label-when = When
label-status = Status
label-reference = Reference
label-name = Name
label-price = Price
session-with = { $title } with { $coach }
field-your-name = Your name
field-your-email = Your email
field-note = Anything the coach should know? (optional)
optional = (optional)
back-to-site = Back to { $site }
price-free = free

## Durations: $n days, $h hours, $m minutes

duration-days = { $n ->
    [one] { $n } day
   *[other] { $n } days
}
duration-hours = { $h } h
duration-minutes = { $m } min
duration-hours-minutes = { $h } h { $m } min

## Booking states

status-confirmed = Confirmed
status-tentative = Waiting for the coach to confirm
status-cancelled = Cancelled
deadline-moved = This booking can no longer be moved online (that was possible until { $until }). Please contact your coach.
deadline-cancelled = This booking can no longer be cancelled online (that was possible until { $until }). Please contact your coach.

## The front page (/)

front-nobody = No one offers public booking here yet.
front-book-heading = Book a session
front-own-calendar = Your own calendar
front-account-before = Have an account here?
front-connect-link = Connect your calendar app
front-account-after = (Apple Calendar, Thunderbird, DAVx⁵, Outlook).

## A coach's page (/book/{coach})

coach-title = Book { $coach }
coach-heading = Book a session with { $coach }
coach-nothing = There is nothing to book right now.
coach-group-session = { $n ->
    [one] group session, up to { $n } person
   *[other] group session, up to { $n } people
}
coach-see-times = See open times
coach-see-times-for = for { $title }

## The week of open times (/book/{coach}/{type})

slots-rescheduling = choose a new time for booking { $reference }
slots-show-times-in = Show times in
slots-show = Show
slots-weeks = Weeks
slots-previous-week = Previous week
slots-next-week = Next week
slots-caption = Open times, week of { $week }, in { $tz }
slots-no-times = No open times
slots-seats-left = { $left } of { $seats } places left
slots-full-heading = Full sessions: join the waitlist
slots-full-hint = If a place frees up, the first person waiting gets it held for them and an email to claim it.
slots-full-legend = { $when } ({ $tz }) is full
slots-join-waitlist = Join the waitlist for { $when }

## The details form of a hold (/book/hold/{id})

hold-title = Your details
hold-move-title = Move your { $title } to this time?
hold-held-until = { $when } ({ $tz }) is held for you until { $expires }.
hold-choose = Choose…
hold-submit-book = Book
hold-submit-move = Move my booking
hold-submit-ask-move = Ask the coach to move my booking

## The booking's page (/book/manage/{token})

booking-title = Booking { $reference }
manage-heading-confirmed = Your booking
manage-heading-requested = Booking requested
manage-heading-cancelled = Booking cancelled
manage-done-booked = You are booked. A confirmation is on its way to your inbox.
manage-done-requested-booking = Your request is in. The coach will confirm it; you will get an email.
manage-done-moved = Your booking has been moved.
manage-done-requested-move = Your coach has been asked to move the session; you will get an email when they answer.
manage-request-approved = Your coach approved moving this session to { $when }; the booking moves in a moment.
manage-request-waiting = You asked to move this session to { $when }. It waits for the coach; unanswered, the request lapses at { $lapses }.
manage-request-withdrawn = Your reschedule request is withdrawn; your booking stays at its time.
manage-cancel-open = This booking can be cancelled online until { $until }.
manage-cancelled = Your booking is cancelled.
manage-too-late-to-cancel = It is too late to cancel online: that was possible until { $deadline }.
booking-series-link = Every date of this series
booking-series-hint = (see or cancel single dates)
booking-add-to-calendar = Add to calendar (.ics)
booking-feed-before = Or subscribe to
booking-feed-link = this session as a calendar feed
booking-feed-after = (parents too): calendar apps then follow when it moves or is cancelled.
booking-change-heading = Change or cancel
booking-keep-link = Keep this page's address: it is your link to manage the booking.
booking-request-heading = Reschedule request
booking-withdraw = Withdraw the request
booking-choose-another = Choose another time
booking-cancel = Cancel this booking

## A series' dates (/book/manage/{token}/series)

series-title = Your series: { $title }
series-heading = Your series: { $title } with { $coach }
series-caption = Every date of the series ({ $tz })
series-change-column = Change
series-cancel-date = Cancel this date
series-cancel-date-label = Cancel { $when }
series-cancel-all = Cancel every remaining date
series-back = Back to your booking
series-date-cancelled = That date is cancelled.
series-all-cancelled = Every remaining date is cancelled.
series-invalid-date = the date is not valid

## A place on a waitlist (/book/waitlist/{token})

waitlist-title = Waitlist: { $title }
waitlist-waiting = You are on the waitlist. If a place frees up we will email you and keep it for you for a while.
waitlist-waiting-number = You are on the waitlist: number { $n }. If a place frees up we will email you and keep it for you for a while.
waitlist-offered = A place is free and kept for you until { $expires }.
waitlist-claim = Claim my place
waitlist-claimed = You have booked this session; your booking email has the link to manage it.
waitlist-expired = The place kept for you was not claimed in time, or the session can no longer be booked. You are off the waitlist.
waitlist-left = You have left the waitlist.
waitlist-pass-on = No thanks, pass it on
waitlist-leave = Leave the waitlist

## Connecting a calendar app (/connect, /connect/feeds)
## In the steps, { $url } is the CalDAV address and { $path } the profile's path.

connect-title = Connect your calendar
connect-heading = Connect your calendar to { $site }
connect-intro = Calendar apps that speak CalDAV keep your calendars here in sync. The address to give them:
connect-sign-in = Sign in with your { $site } user name and password. On an iPhone, iPad or Mac you can instead
connect-profile-link = download a configuration profile
connect-profile-after = (it asks you to sign in; the password is not stored in it).
connect-feeds-before = Want a calendar in Outlook or Google Calendar as a read-only subscription?
connect-feeds-link = Your feed links
connect-feeds-after = (sign in with your user name and password).
connect-apple-name = Apple Calendar on iPhone, iPad or Mac
connect-apple-1 = Easiest: open { $path } on the device, sign in, and install the downloaded profile (iPhone/iPad: Settings → Profile Downloaded → Install; Mac: System Settings → Privacy & Security → Profiles), entering your password when asked.
connect-apple-2 = Or by hand on iPhone/iPad: Settings → Apps → Calendar → Calendar Accounts → Add Account → Other → Add CalDAV Account.
connect-apple-3 = By hand on a Mac: Calendar → Settings → Accounts → + → Other CalDAV Account…, account type Manual.
connect-apple-4 = Server: { $url } · User name and password: your slotdav account.
connect-thunderbird-name = Thunderbird
connect-thunderbird-1 = Open the Calendar tab, then New Calendar… → On the Network.
connect-thunderbird-2 = User name: your slotdav user name; Location: { $url }; then Find Calendars.
connect-thunderbird-3 = Enter your password when asked, tick the calendars to show, and Subscribe.
connect-davx5-name = DAVx⁵ (Android)
connect-davx5-1 = Tap + → Login with URL and user name.
connect-davx5-2 = Base URL: { $url }; user name and password: your slotdav account; Login.
connect-davx5-3 = Create the account, open it, and tick the calendars to synchronise; they appear in your calendar app.
connect-outlook-name = Outlook on Windows (CalDAV Synchronizer add-in)
connect-outlook-1 = Install CalDAV Synchronizer, then in Outlook: CalDav Synchronizer → Synchronization Profiles → Add new profile → Generic CalDAV/CardDAV.
connect-outlook-2 = DAV URL: { $url }; user name and password: your slotdav account; then Test or discover settings and pick a calendar.
connect-outlook-3 = Choose the Outlook calendar folder to keep in sync, and OK.
feeds-title = Your calendar feeds
feeds-heading = Calendar feeds of { $user }
feeds-intro = Anyone with one of these secret links can read that calendar, so share them only with apps you use.
feeds-how = Outlook: Add calendar → Subscribe from web, and paste the link. Google Calendar: Other calendars → + → From URL.
feeds-none-before = You have not published a calendar. An administrator runs
feeds-none-after = to publish one.
feeds-subscribe = Subscribe
feeds-subscribe-to = to { $calendar }
feeds-back = Back to connecting your calendar

## The booking's calendar texts (DESCRIPTION of the event)

ics-note-from = Note from { $name }: { $note }
ics-booking = Booking { $reference } · { $price }
ics-manage = Manage: { $url }

## Recurring series: the dates, the repeat form, moving every remaining date (issue 11 §2)

series-when-column = When
series-status-column = Status
series-move-date = Move this date
booking-series-heading = Every date
series-some-cancelled =
    { $n ->
    [one] One date is cancelled.
    *[other] { $n } dates are cancelled.
    } Too close to cancel online, still booked: { $kept }.
series-move-all-heading = Move every remaining date
series-move-all-hint = Pick the new time of the next date ({ $first }). Every later date moves with it: same weekday and time, same number of weeks apart.
series-move-all-week = Open times in the week of { $week }
series-move-all-label = New time of the next date
series-move-all-submit = Move every remaining date
series-move-all-none = No open time this week.
series-move-all-earlier = Earlier week
series-move-all-later = Later week
series-move-all-approval = The coach approves every move of this kind of session: move the dates one by one.
series-all-moved = Every remaining date is moved.
series-some-moved =
    { $n ->
    [one] One date is moved.
    *[other] { $n } dates are moved.
    } Too close to move online, still at their time: { $kept }.
series-move-conflicts = Nothing was moved: these new dates are not free: { $dates }. Please pick another time.
series-move-invalid = Pick one of the open times listed.
series-too-late-to-move = It is too late to move these dates online: that was possible until { $deadline }.
repeat-heading = Repeat
repeat-held = These { $n } dates are held for you:
repeat-not-free = Dates that are not free
repeat-leave-out = Leave out { $when }
repeat-every-label = How often
repeat-count-label = How many times in all
repeat-hold = Hold these dates
repeat-retry = Try again without the ticked dates
repeat-once = Just this date
repeat-every =
    { $n ->
    [one] Every week
    *[other] Every { $n } weeks
    }
repeat-error-count = Say how many times, as a number.
repeat-error-skips = At most { $n } dates can be left out.
repeat-error-skip = A date to leave out is not valid.
repeat-error-invalid = Pick how often from the list, and between 2 and { $max } times in all.
repeat-cannot = This hold cannot be repeated.
repeat-conflicts =
    { $n ->
    [one] One of these dates is not free. Leave it out (ticked below) and try again, or pick another time.
    *[other] { $n } of these dates are not free. Leave them out (ticked below) and try again, or pick another time.
    }
guardian-legend = Parent or guardian
guardian-optional = (optional)
guardian-hint = They get the invitation, every change and the reminders, and their own link to the booking.
guardian-name = Their name
guardian-email = Their email
label-duration = Duration
label-where = Where
embed-book-with = Book a session with { $coach }

## The repeat form's errors

repeat-error-every = Pick how often from the list.

## Where a session takes place (issue 12 §3)

location-in-person = In person
location-phone = By phone
location-video = Video call
location-video-later = the link comes with your booking
location-video-own-later = your own link comes with your booking

## Moving every remaining date: the week links

series-move-all-week-nav = Other weeks
