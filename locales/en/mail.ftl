# The student's emails (src/mail/compose.rs, src/mail/waitlist.rs).
# { $title } is the kind of session, { $coach } the coach's name, { $when } its start.
# The greeting ends with a comma and the first paragraph goes on in lower case, as in a letter.

mail-hello = Hello { $name },
mail-signature = sent by slotdav
mail-label-what = What
mail-label-when = When
mail-label-with = With
mail-label-reference = Reference
mail-label-price = Price
mail-manage-link = Reschedule or cancel
mail-coach-wrote =
    { $coach } wrote:
    { $message }

## Subjects

mail-subject-requested = Request received: { $title } with { $coach }, { $when }
mail-subject-booked = Booked: { $title } with { $coach }, { $when }
mail-subject-confirmed = Confirmed: { $title } with { $coach }, { $when }
mail-subject-rescheduled = Rescheduled: { $title } with { $coach }, now { $when }
mail-subject-cancelled = Cancelled: { $title } with { $coach }, { $when }
mail-subject-cancelled-by-coach = Cancelled by { $coach }: { $title }, { $when }
mail-subject-declined = Declined: { $title } with { $coach }, { $when }
mail-subject-reschedule-requested = Reschedule requested: { $title } with { $coach }, { $when }
mail-subject-reschedule-declined = Reschedule declined: { $title } with { $coach }
mail-subject-reschedule-lapsed = Reschedule request lapsed: { $title } with { $coach }
mail-subject-reschedule-withdrawn = Reschedule request withdrawn: { $title } with { $coach }
mail-subject-reminder = Reminder: { $title } with { $coach }, { $when }

## Texts

mail-requested = thank you for your request. { $coach } will confirm it; you will get another email then. Until then the time is reserved for you.
mail-booked = your session is booked. The invitation is attached; add it to your calendar.
mail-confirmed = { $coach } has confirmed your session. The invitation is attached; add it to your calendar.
mail-moved = Your session has been moved; the new time is below.
mail-moved-by-coach = { $coach } has moved your session; the new time is below.
mail-cancelled = your session has been cancelled as you asked.
mail-cancelled-by-coach = { $coach } has cancelled your session. Please reply to this email if you have questions.
mail-declined = { $coach } could not accept your request for this time, and the time is no longer reserved for you. You are welcome to pick another time on the booking page.
mail-reschedule-requested = { $coach } has been asked to move your session to the time below. Until they answer, your session stays at its current time and the new time is reserved for you.
mail-reschedule-declined = { $coach } could not accept your request to move your session to the time below. Your session stays at the time you booked.
mail-reschedule-lapsed = { $coach } did not answer your request to move your session to the time below in time, so the request has lapsed. Your session stays at the time you booked.
mail-reschedule-withdrawn = you withdrew your request to move your session to the time below. Your session stays at the time you booked.
mail-reschedule-approved = { $coach } has approved your new time; it is below.
mail-reminder = a reminder: your session with { $coach } starts in { $in }.

## Waitlist mails

mail-waitlist-subject-joined = Waitlist: { $title } with { $coach }, { $when }
mail-waitlist-joined = you are number { $n } on the waitlist for this session. If a seat frees up, we will email you and keep it for you for a while.
mail-waitlist-link-joined = Your place (or leave the waitlist)
mail-waitlist-subject-offered = A seat is free: { $title } with { $coach }, { $when }
mail-waitlist-offered = a seat has freed up and it is kept for you until { $until }. Claim it with the link below; after that it goes to the next person waiting.
mail-waitlist-link-offered = Claim your seat
mail-waitlist-subject-expired = Waitlist ended: { $title } with { $coach }, { $when }
mail-waitlist-expired = the seat kept for you was not claimed in time, or the session can no longer be booked, so you are off the waitlist. You are welcome to pick another time on the booking page.
mail-waitlist-link-expired = Your place

## A guardian's own lines, and who changed the booking (issue 11 §4)

mail-label-where = Where
mail-view-link = See the booking
mail-guardian-about = this is about { $student }'s session; you receive these emails as their parent or guardian.
mail-cancelled-by-guardian = { $guardian } (your parent or guardian) has cancelled your session.
mail-cancelled-by-student = { $student } has cancelled the session.
mail-moved-by-guardian = { $guardian } (your parent or guardian) moved it.
mail-moved-by-student = { $student } moved it.
mail-guardian-reminder = a reminder: { $student }'s session with { $coach } starts in { $in }.
