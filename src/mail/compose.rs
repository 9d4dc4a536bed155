//! What each booking change tells whom: [`Draft`]s (recipient, subject,
//! text, HTML, optional iMIP calendar) and their formatting into MIME with
//! lettre's typed headers, so no name, note or address can add a header.
//!
//! The student's messages are written in the language they booked in
//! (`Booking::locale`, issue 12 §5; texts in `locales/*/mail.ftl`); the
//! coach's stay English, like the dashboard.

use std::time::SystemTime;

use chrono::{DateTime, Duration, Utc};
use lettre::message::header::{ContentDisposition, ContentType};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::Address;

use crate::booking::policy::EventType;
use crate::booking::service::ChangeKind;
use crate::booking::guardian::Guardian;
use crate::booking::{Booking, BookingStatus};
use crate::booking::coach::CoachConfig;
use crate::i18n::{dates, Arg, Locale, Tr};

/// iCalendar method of an iMIP part (RFC 6047).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Request,
    Cancel,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }
}

/// One message before formatting.
#[derive(Debug, Clone)]
pub struct Draft {
    pub to: Mailbox,
    pub reply_to: Option<Mailbox>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The iMIP part: the method and the VCALENDAR (with that METHOD).
    pub calendar: Option<(Method, String)>,
}

/// Everything a message about one booking needs.
pub struct Context<'a> {
    pub booking: &'a Booking,
    pub coach: &'a CoachConfig,
    pub event_type: &'a EventType,
    /// The coach's own address (their slotdav user's email), if set.
    pub coach_email: Option<&'a str>,
    /// ORGANIZER address (the coach's email or a local stand-in).
    pub organizer_email: &'a str,
    pub manage_url: &'a str,
    pub now: DateTime<Utc>,
    /// What the coach wrote to the student with a cancellation or a
    /// decline (on the dashboard); shown in the student's message.
    pub coach_message: Option<&'a str>,
    /// (D) The student's answers to the form's questions, as (label,
    /// answer): shown in the coach's message.
    pub answers: &'a [(String, String)],
    /// (issue 11 §2) The iMIP VCALENDAR of a series occurrence, by method
    /// (the whole recurring VEVENT, or a CANCEL of one instance); `None`
    /// for a single booking, whose VEVENT is written here.
    pub series_calendar: Option<&'a dyn Fn(Method) -> Option<String>>,
    /// (issue 11 §4) The change was made with the guardian's manage link.
    pub by_guardian: bool,
}

/// Whom a message about a booking goes to (issue 11 §4): the student, or
/// their guardian with the guardian's own manage link.
#[derive(Debug, Clone, Copy)]
pub enum Recipient<'a> {
    Student,
    Guardian { guardian: &'a Guardian, manage_url: &'a str },
}

impl<'a> Recipient<'a> {
    fn mailbox(&self, b: &Booking) -> Option<Mailbox> {
        match self {
            Recipient::Student => mailbox(&b.student_name, &b.student_email),
            Recipient::Guardian { guardian, .. } => mailbox(&guardian.name, &guardian.email),
        }
    }

    fn name(&self, b: &'a Booking) -> &'a str {
        match self {
            Recipient::Student => &b.student_name,
            Recipient::Guardian { guardian, .. } => &guardian.name,
        }
    }

    /// The guardian's first paragraph: whose session this is about.
    fn about(&self, b: &Booking, tr: &Tr) -> Option<String> {
        match self {
            Recipient::Student => None,
            Recipient::Guardian { .. } => Some(tr.t1("mail-guardian-about", "student", &b.student_name)),
        }
    }
}

/// Header text: control characters (CR, LF, TAB …) become spaces, runs of
/// spaces collapse. lettre encodes what remains (RFC 2047).
/// The manage link of a message and its label: the student's; a
/// guardian's own, which only shows the booking when the type says so.
fn link_for(recipient: &Recipient<'_>, ctx: &Context<'_>, tr: &Tr) -> (String, String) {
    match recipient {
        Recipient::Student => (tr.t("mail-manage-link"), ctx.manage_url.to_string()),
        Recipient::Guardian { manage_url, .. } if ctx.event_type.guardian_can_manage => (tr.t("mail-manage-link"), manage_url.to_string()),
        Recipient::Guardian { manage_url, .. } => (tr.t("mail-view-link"), manage_url.to_string()),
    }
}

pub fn header_text(s: &str) -> String {
    let replaced: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    replaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A mailbox from a display name and an address; `None` when the address
/// is not one lettre accepts.
pub fn mailbox(name: &str, email: &str) -> Option<Mailbox> {
    let address: Address = email.trim().parse().ok()?;
    let name = header_text(name);
    Some(Mailbox::new(Some(name).filter(|n| !n.is_empty()), address))
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// "Monday, 2 March 2026, 10:00–10:30 (Europe/Berlin)" in the coach's zone.
pub fn when(b: &Booking, coach: &CoachConfig) -> String {
    when_in(Locale::En, b, coach)
}

/// [`when`] as `locale` writes dates and times.
pub fn when_in(locale: Locale, b: &Booking, coach: &CoachConfig) -> String {
    let tz = coach.policy.tz;
    format!("{} ({})", dates::mail_span(locale, &b.range.start.with_timezone(&tz), &b.range.end.with_timezone(&tz)), tz.name())
}

fn short_when(b: &Booking, coach: &CoachConfig) -> String {
    dates::subject(Locale::En, &b.range.start.with_timezone(&coach.policy.tz))
}

/// The translator of the student's messages about `b`.
fn student_tr(b: &Booking) -> Tr {
    Tr::new(Locale::from_stored(&b.locale))
}

/// A body: paragraphs (plain text) plus labelled details; the same content
/// as plain text and as escaped HTML.
pub(super) struct Body {
    pub(super) greeting: String,
    pub(super) paragraphs: Vec<String>,
    pub(super) details: Vec<(String, String)>,
    pub(super) link: Option<(String, String)>,
    /// The signature under the `-- ` line ("sent by slotdav").
    pub(super) signature: String,
}

impl Body {
    pub(super) fn text(&self) -> String {
        let mut t = format!("{}\n\n", self.greeting);
        for p in &self.paragraphs {
            t.push_str(p);
            t.push_str("\n\n");
        }
        for (k, v) in &self.details {
            t.push_str(&format!("{k}: {v}\n"));
        }
        if let Some((label, url)) = &self.link {
            t.push_str(&format!("\n{label}: {url}\n"));
        }
        t.push_str(&format!("\n-- \n{}\n", self.signature));
        t
    }

    pub(super) fn html(&self) -> String {
        let mut h = String::from("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n");
        h.push_str(&format!("<p>{}</p>\n", escape_html(&self.greeting)));
        for p in &self.paragraphs {
            h.push_str(&format!("<p>{}</p>\n", escape_html(p).replace('\n', "<br>\n")));
        }
        if !self.details.is_empty() {
            h.push_str("<table>\n");
            for (k, v) in &self.details {
                h.push_str(&format!(
                    "<tr><th align=\"left\">{}</th><td>{}</td></tr>\n",
                    escape_html(k),
                    escape_html(v).replace('\n', "<br>\n")
                ));
            }
            h.push_str("</table>\n");
        }
        if let Some((label, url)) = &self.link {
            h.push_str(&format!("<p><a href=\"{}\">{}</a></p>\n", escape_html(url), escape_html(label)));
        }
        h.push_str("</body></html>\n");
        h
    }
}

/// The session's details, labelled in `tr`'s language.
fn details(ctx: &Context<'_>, tr: &Tr) -> Vec<(String, String)> {
    let b = ctx.booking;
    let mut d = vec![
        (tr.t("mail-label-what"), ctx.event_type.title.clone()),
        (tr.t("mail-label-when"), when_in(tr.locale, b, ctx.coach)),
        (tr.t("mail-label-with"), ctx.coach.display_name.clone()),
        (tr.t("mail-label-reference"), b.reference.clone()),
    ];
    if !b.price.is_empty() {
        d.push((tr.t("mail-label-price"), b.price.clone()));
    }
    // (issue 12 §3) where it takes place; a video link is the booking's own.
    if let Some(place) = ctx.event_type.location.as_ref().map(|l| l.place_for(&b.id)) {
        d.push((tr.t("mail-label-where"), format!("{}: {}", tr.t(place.label_key()), place.text())));
    }
    d
}

fn ics(ctx: &Context<'_>, method: Method) -> String {
    if let Some(text) = ctx.series_calendar.and_then(|f| f(method)) {
        return text;
    }
    crate::booking::service::booking_vcalendar(
        ctx.coach,
        ctx.event_type,
        ctx.booking,
        ctx.organizer_email,
        ctx.manage_url,
        Some(method.as_str()),
        ctx.now,
    )
}

/// The message to the student about a change. `invited`: the student has
/// been sent an iMIP REQUEST for this booking before (so a cancellation
/// carries a CANCEL).
pub fn student_message(ctx: &Context<'_>, kind: ChangeKind, invited: bool) -> Option<Draft> {
    change_message(ctx, kind, invited, Recipient::Student)
}

/// (issue 11 §4) The message to the booking's guardian about a change:
/// what the student is told, addressed to the guardian with their own link.
pub fn guardian_message(ctx: &Context<'_>, kind: ChangeKind, invited: bool, guardian_manage_url: &str) -> Option<Draft> {
    let guardian = ctx.booking.guardian.as_ref()?;
    change_message(ctx, kind, invited, Recipient::Guardian { guardian, manage_url: guardian_manage_url })
}

fn change_message(ctx: &Context<'_>, kind: ChangeKind, invited: bool, recipient: Recipient<'_>) -> Option<Draft> {
    let b = ctx.booking;
    let to = recipient.mailbox(b)?;
    let tr = student_tr(b);
    let coach = header_text(&ctx.coach.display_name);
    let title = header_text(&ctx.event_type.title);
    let confirmed = b.status == BookingStatus::Confirmed;
    let when = dates::subject(tr.locale, &b.range.start.with_timezone(&ctx.coach.policy.tz));
    let args = [("title", Arg::from(&title)), ("coach", Arg::from(&coach)), ("when", Arg::from(&when))];
    let text = |key: &str| tr.t_args(key, &args);
    // (subject key, paragraph key, iMIP method)
    let (subject, paragraph, method) = match kind {
        ChangeKind::Booked if !confirmed => ("mail-subject-requested", "mail-requested", None),
        ChangeKind::Booked => ("mail-subject-booked", "mail-booked", Some(Method::Request)),
        ChangeKind::ConfirmedByCoach => ("mail-subject-confirmed", "mail-confirmed", Some(Method::Request)),
        ChangeKind::Rescheduled => ("mail-subject-rescheduled", "mail-moved", confirmed.then_some(Method::Request)),
        ChangeKind::MovedByCoach => ("mail-subject-rescheduled", "mail-moved-by-coach", confirmed.then_some(Method::Request)),
        ChangeKind::CancelledByStudent => ("mail-subject-cancelled", "mail-cancelled", invited.then_some(Method::Cancel)),
        ChangeKind::CancelledByCoach => ("mail-subject-cancelled-by-coach", "mail-cancelled-by-coach", invited.then_some(Method::Cancel)),
        ChangeKind::DeclinedByCoach => ("mail-subject-declined", "mail-declined", invited.then_some(Method::Cancel)),
        ChangeKind::AttendanceMarked => return None,
        // issue 11 §3 (C): here `b` is the booking at the requested time.
        ChangeKind::RescheduleRequested => ("mail-subject-reschedule-requested", "mail-reschedule-requested", None),
        ChangeKind::RescheduleDeclined => ("mail-subject-reschedule-declined", "mail-reschedule-declined", None),
        ChangeKind::RescheduleLapsed => ("mail-subject-reschedule-lapsed", "mail-reschedule-lapsed", None),
        ChangeKind::RescheduleWithdrawn => ("mail-subject-reschedule-withdrawn", "mail-reschedule-withdrawn", None),
        ChangeKind::RescheduleApproved => ("mail-subject-rescheduled", "mail-reschedule-approved", confirmed.then_some(Method::Request)),
    };
    // Who cancelled, when the other of student and guardian did.
    let mut paragraphs = vec![match (kind, &recipient, ctx.by_guardian, &b.guardian) {
        (ChangeKind::CancelledByStudent, Recipient::Student, true, Some(g)) => tr.t1("mail-cancelled-by-guardian", "guardian", &g.name),
        (ChangeKind::CancelledByStudent, Recipient::Guardian { .. }, false, _) => tr.t1("mail-cancelled-by-student", "student", &b.student_name),
        _ => text(paragraph),
    }];
    if let (Some(message), ChangeKind::CancelledByCoach | ChangeKind::DeclinedByCoach | ChangeKind::RescheduleDeclined) = (ctx.coach_message, kind) {
        paragraphs.push(tr.t_args("mail-coach-wrote", &[("coach", Arg::from(&coach)), ("message", Arg::from(message))]));
    }
    if let (ChangeKind::Rescheduled, Some(g)) = (kind, &b.guardian) {
        match (&recipient, ctx.by_guardian) {
            (Recipient::Student, true) => paragraphs.push(tr.t1("mail-moved-by-guardian", "guardian", &g.name)),
            (Recipient::Guardian { .. }, false) => paragraphs.push(tr.t1("mail-moved-by-student", "student", &b.student_name)),
            _ => {}
        }
    }
    if let Some(about) = recipient.about(b, &tr) {
        paragraphs.insert(0, about);
    }
    let active = b.is_active();
    let body = Body {
        greeting: tr.t1("mail-hello", "name", recipient.name(b)),
        paragraphs,
        details: details(ctx, &tr),
        link: active.then(|| link_for(&recipient, ctx, &tr)),
        signature: tr.t("mail-signature"),
    };
    Some(Draft {
        to,
        reply_to: ctx.coach_email.and_then(|e| mailbox(&ctx.coach.display_name, e)),
        subject: text(subject),
        text: body.text(),
        html: body.html(),
        calendar: method.map(|m| (m, ics(ctx, m))),
    })
}

/// The message to the coach about what a student did (`None` for changes
/// the coach made, or without a coach address).
pub fn coach_message(ctx: &Context<'_>, kind: ChangeKind) -> Option<Draft> {
    let b = ctx.booking;
    let to = mailbox(&ctx.coach.display_name, ctx.coach_email?)?;
    let student = header_text(&b.student_name);
    let title = header_text(&ctx.event_type.title);
    let (subject, paragraph) = match kind {
        ChangeKind::Booked if b.status == BookingStatus::Tentative => (
            format!("Please confirm: {title} with {student}, {}", short_when(b, ctx.coach)),
            format!("{student} asks for a session. It is in your calendar as tentative; set it to confirmed to accept, or delete it to decline."),
        ),
        ChangeKind::Booked => (
            format!("New booking: {title} with {student}, {}", short_when(b, ctx.coach)),
            format!("{student} has booked a session. It is in your calendar."),
        ),
        ChangeKind::Rescheduled => (
            format!("Rescheduled: {title} with {student}, now {}", short_when(b, ctx.coach)),
            format!("{student} has moved their session; your calendar shows the new time."),
        ),
        ChangeKind::CancelledByStudent => (
            format!("Cancelled: {title} with {student}, {}", short_when(b, ctx.coach)),
            format!("{student} has cancelled their session; it is marked cancelled in your calendar."),
        ),
        // issue 11 §3 (C): here `b` is the booking at the requested time.
        ChangeKind::RescheduleRequested => (
            format!("Please approve: {student} asks to move {title} to {}", short_when(b, ctx.coach)),
            format!("{student} asks to move their session to the time below. It is in your calendar as a tentative \"Reschedule request\"; set it to confirmed to approve, or delete it to decline. Unanswered, it lapses before the new time."),
        ),
        ChangeKind::RescheduleWithdrawn => (
            format!("Reschedule request withdrawn: {title} with {student}"),
            format!("{student} withdrew their request to move their session to the time below; the request is gone from your calendar."),
        ),
        ChangeKind::CancelledByCoach
        | ChangeKind::MovedByCoach
        | ChangeKind::ConfirmedByCoach
        | ChangeKind::DeclinedByCoach
        | ChangeKind::AttendanceMarked
        | ChangeKind::RescheduleDeclined
        | ChangeKind::RescheduleLapsed
        | ChangeKind::RescheduleApproved => return None,
    };
    let english = Tr::new(Locale::En);
    let mut d = details(ctx, &english);
    d.retain(|(k, _)| *k != "With");
    d.insert(0, ("Student".into(), format!("{} <{}>", b.student_name, b.student_email)));
    if let Some(g) = &b.guardian {
        d.insert(1, ("Guardian".into(), format!("{} <{}>", g.name, g.email)));
    }
    if let Some(note) = &b.student_note {
        d.push(("Note".into(), note.clone()));
    }
    let mut paragraphs = vec![paragraph];
    if !ctx.answers.is_empty() {
        // (D) the answers to the form's questions
        let answers: Vec<String> = ctx.answers.iter().map(|(label, answer)| format!("{label}: {answer}")).collect();
        paragraphs.push(format!("Their answers — {}", answers.join(" · ")));
    }
    let body = Body { greeting: format!("Hello {},", ctx.coach.display_name), paragraphs, details: d, link: None, signature: english.t("mail-signature") };
    Some(Draft {
        to,
        reply_to: mailbox(&b.student_name, &b.student_email),
        subject,
        text: body.text(),
        html: body.html(),
        calendar: None,
    })
}

/// A reminder `offset` before the session.
pub fn reminder_message(ctx: &Context<'_>, offset: Duration) -> Option<Draft> {
    reminder_to(ctx, offset, Recipient::Student)
}

/// (issue 11 §4) The guardian's reminder `offset` before the session.
pub fn guardian_reminder(ctx: &Context<'_>, offset: Duration, guardian_manage_url: &str) -> Option<Draft> {
    let guardian = ctx.booking.guardian.as_ref()?;
    reminder_to(ctx, offset, Recipient::Guardian { guardian, manage_url: guardian_manage_url })
}

fn reminder_to(ctx: &Context<'_>, offset: Duration, recipient: Recipient<'_>) -> Option<Draft> {
    let b = ctx.booking;
    let to = recipient.mailbox(b)?;
    let tr = student_tr(b);
    let coach = header_text(&ctx.coach.display_name);
    let title = header_text(&ctx.event_type.title);
    let when = dates::subject(tr.locale, &b.range.start.with_timezone(&ctx.coach.policy.tz));
    let body = Body {
        greeting: tr.t1("mail-hello", "name", recipient.name(b)),
        // A guardian's reminder names whose session it is.
        paragraphs: vec![match recipient {
            Recipient::Student => tr.t2("mail-reminder", "coach", &coach, "in", tr.duration(offset)),
            Recipient::Guardian { .. } => tr.t3("mail-guardian-reminder", "student", &b.student_name, "coach", &coach, "in", tr.duration(offset)),
        }],
        details: details(ctx, &tr),
        link: Some(link_for(&recipient, ctx, &tr)),
        signature: tr.t("mail-signature"),
    };
    Some(Draft {
        to,
        reply_to: ctx.coach_email.and_then(|e| mailbox(&ctx.coach.display_name, e)),
        subject: tr.t_args("mail-subject-reminder", &[("title", Arg::from(&title)), ("coach", Arg::from(&coach)), ("when", Arg::from(&when))]),
        text: body.text(),
        html: body.html(),
        calendar: None,
    })
}

/// Formats a draft as an RFC 5322 message: `multipart/mixed` holding a
/// `multipart/alternative` (text, HTML and, for iMIP, the `text/calendar;
/// method=…` part) and an `invite.ics` attachment.
pub fn format(draft: &Draft, from: &Mailbox, message_id: &str, now: DateTime<Utc>) -> Result<Vec<u8>, String> {
    let mut builder = lettre::Message::builder()
        .from(from.clone())
        .to(draft.to.clone())
        .subject(header_text(&draft.subject))
        .date(SystemTime::from(now))
        .message_id(Some(format!("<{message_id}@{}>", from.email.domain())));
    if let Some(r) = &draft.reply_to {
        builder = builder.reply_to(r.clone());
    }
    let mut alternative = MultiPart::alternative().singlepart(SinglePart::plain(draft.text.clone())).singlepart(SinglePart::html(draft.html.clone()));
    let message = match &draft.calendar {
        None => builder.multipart(alternative),
        Some((method, ics)) => {
            let ct = ContentType::parse(&format!("text/calendar; method={}; charset=UTF-8", method.as_str())).map_err(|e| e.to_string())?;
            alternative = alternative.singlepart(SinglePart::builder().header(ct).body(ics.clone()));
            let attachment_ct = ContentType::parse("application/ics; name=\"invite.ics\"").map_err(|e| e.to_string())?;
            let attachment = SinglePart::builder()
                .header(attachment_ct)
                .header(ContentDisposition::attachment("invite.ics"))
                .body(ics.clone());
            builder.multipart(MultiPart::mixed().multipart(alternative).singlepart(attachment))
        }
    }
    .map_err(|e| e.to_string())?;
    Ok(message.formatted())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_text_removes_line_breaks() {
        assert_eq!(header_text("Eve\r\nBcc: x@evil"), "Eve Bcc: x@evil");
        assert_eq!(header_text(" a\t\tb "), "a b");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(escape_html("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
    }

    /// The coach's message rides in the student's cancellation or decline
    /// mail (escaped in the HTML part), and nowhere else.
    #[test]
    fn a_coachs_message_goes_into_the_cancellation_and_decline_only() {
        use chrono::TimeZone;
        let coaches = crate::config::Config::parse(
            "[[coach]]\nuser = \"anna\"\ndisplay_name = \"Anna\"\n[[coach.event_type]]\nslug = \"trial\"\ntitle = \"Trial\"\nduration = \"30m\"\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap()
        .coaches;
        let coach = &coaches[0];
        let et = coach.policy.event_type("trial").unwrap();
        let t = Utc.with_ymd_and_hms(2030, 3, 6, 9, 0, 0).unwrap();
        let mut b = crate::booking::holds::tests::booking("b1", "trial", crate::model::TimeRange::new(t, t + Duration::minutes(30)), "ben@example.org");
        b.status = BookingStatus::Cancelled;
        let ctx = |message| Context {
            booking: &b,
            coach,
            event_type: et,
            coach_email: None,
            organizer_email: "anna@localhost",
            manage_url: "http://x/book/manage/t",
            now: t,
            coach_message: message,
            answers: &[],
            series_calendar: None,
            by_guardian: false,
        };
        let message = Some("I am ill <sorry>.\nNext week?");
        for kind in [ChangeKind::CancelledByCoach, ChangeKind::DeclinedByCoach] {
            let d = student_message(&ctx(message), kind, true).unwrap();
            assert!(d.text.contains("Anna wrote:\nI am ill <sorry>.\nNext week?"), "{kind:?}: {}", d.text);
            assert!(d.html.contains("I am ill &lt;sorry&gt;.<br>"), "{}", d.html);
            assert!(!student_message(&ctx(None), kind, true).unwrap().text.contains("wrote:"));
        }
        let d = student_message(&ctx(message), ChangeKind::CancelledByStudent, true).unwrap();
        assert!(!d.text.contains("I am ill"), "{}", d.text);
    }

    /// (issue 11 §4) The guardian is addressed by name with their own
    /// link (a read-only one only shows the booking), is told whose
    /// session it is, and each side learns when the other cancelled.
    #[test]
    fn the_guardian_gets_their_own_message_and_link_and_learns_who_cancelled() {
        use chrono::TimeZone;
        let coaches = crate::config::Config::parse(
            "[[coach]]\nuser = \"anna\"\ndisplay_name = \"Anna\"\n[[coach.event_type]]\nslug = \"trial\"\ntitle = \"Trial\"\nduration = \"30m\"\nguardian = \"optional\"\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap()
        .coaches;
        let coach = &coaches[0];
        let mut et = coach.policy.event_type("trial").unwrap().clone();
        let t = Utc.with_ymd_and_hms(2030, 3, 6, 9, 0, 0).unwrap();
        let mut b = crate::booking::holds::tests::booking("b1", "trial", crate::model::TimeRange::new(t, t + Duration::minutes(30)), "ben@example.org");
        b.student_name = "Ben".into();
        b.guardian = Some(Guardian { name: "Pat Parent".into(), email: "pat@example.org".into() });
        let ctx = |b: &Booking, et: &EventType, by_guardian| {
            let d = |recipient: Option<&str>| {
                let c = Context {
                    booking: b,
                    coach,
                    event_type: et,
                    coach_email: None,
                    organizer_email: "anna@localhost",
                    manage_url: "http://x/book/manage/student",
                    now: t,
                    coach_message: None,
                    answers: &[],
                    series_calendar: None,
                    by_guardian,
                };
                match recipient {
                    Some(url) => guardian_message(&c, ChangeKind::CancelledByStudent, true, url),
                    None => student_message(&c, ChangeKind::CancelledByStudent, true),
                }
            };
            (d(None), d(Some("http://x/book/manage/guardian")))
        };
        let mut booked = b.clone();
        booked.status = BookingStatus::Confirmed;
        let c = Context {
            booking: &booked,
            coach,
            event_type: &et,
            coach_email: None,
            organizer_email: "anna@localhost",
            manage_url: "http://x/book/manage/student",
            now: t,
            coach_message: None,
            answers: &[],
            series_calendar: None,
            by_guardian: false,
        };
        let g = guardian_message(&c, ChangeKind::Booked, false, "http://x/book/manage/guardian").unwrap();
        assert_eq!(g.to.email.to_string(), "pat@example.org");
        assert!(g.text.starts_with("Hello Pat Parent,") && g.text.contains("about Ben's session"), "{}", g.text);
        assert!(g.text.contains("Reschedule or cancel: http://x/book/manage/guardian") && !g.text.contains("/student"), "{}", g.text);
        assert!(matches!(g.calendar, Some((Method::Request, _))));
        let r = guardian_reminder(&c, Duration::hours(24), "http://x/book/manage/guardian").unwrap();
        assert!(r.text.contains("Ben's session with Anna starts in"), "{}", r.text);

        b.status = BookingStatus::Cancelled;
        let (student, guardian) = ctx(&b, &et, true);
        assert!(student.unwrap().text.contains("Pat Parent (your parent or guardian) has cancelled your session"));
        assert!(guardian.unwrap().text.contains("cancelled as you asked"));
        let (student, guardian) = ctx(&b, &et, false);
        assert!(student.unwrap().text.contains("cancelled as you asked"));
        let guardian = guardian.unwrap();
        assert!(guardian.text.contains("Ben has cancelled the session"), "{}", guardian.text);
        assert!(matches!(guardian.calendar, Some((Method::Cancel, _))));

        et.guardian_can_manage = false;
        let c = Context {
            booking: &booked,
            coach,
            event_type: &et,
            coach_email: None,
            organizer_email: "anna@localhost",
            manage_url: "http://x/book/manage/student",
            now: t,
            coach_message: None,
            answers: &[],
            series_calendar: None,
            by_guardian: false,
        };
        let g = guardian_message(&c, ChangeKind::Booked, false, "http://x/book/manage/guardian").unwrap();
        assert!(g.text.contains("See the booking: http://x/book/manage/guardian") && !g.text.contains("Reschedule or cancel"), "{}", g.text);
        let none = Booking { guardian: None, ..booked.clone() };
        assert!(guardian_message(&Context { booking: &none, ..c }, ChangeKind::Booked, false, "u").is_none());
    }

    /// (issue 11 §4, issue 12 §5) A guardian's own lines, the link labels
    /// and who cancelled are in the booking's language, like the rest.
    #[test]
    fn the_guardians_own_lines_are_in_the_bookings_language() {
        use chrono::TimeZone;
        let coaches = crate::config::Config::parse(
            "[[coach]]\nuser = \"anna\"\ndisplay_name = \"Anna\"\n[[coach.event_type]]\nslug = \"trial\"\ntitle = \"Probe\"\nduration = \"30m\"\nguardian = \"optional\"\nguardian_can_manage = false\nlocation = { address = \"Hauptstr. 1\" }\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap()
        .coaches;
        let coach = &coaches[0];
        let et = coach.policy.event_type("trial").unwrap().clone();
        let t = Utc.with_ymd_and_hms(2030, 3, 6, 9, 0, 0).unwrap();
        let mut b = crate::booking::holds::tests::booking("b1", "trial", crate::model::TimeRange::new(t, t + Duration::minutes(30)), "ben@example.org");
        b.student_name = "Ben".into();
        b.locale = "de".into();
        b.status = BookingStatus::Confirmed;
        b.guardian = Some(Guardian { name: "Pat".into(), email: "pat@example.org".into() });
        let c = Context {
            booking: &b,
            coach,
            event_type: &et,
            coach_email: None,
            organizer_email: "anna@localhost",
            manage_url: "http://x/book/manage/student",
            now: t,
            coach_message: None,
            answers: &[],
            series_calendar: None,
            by_guardian: true,
        };
        let g = guardian_message(&c, ChangeKind::Booked, false, "http://x/g").unwrap();
        assert!(g.text.starts_with("Hallo Pat,") && g.text.contains("es geht um den Termin von Ben"), "{}", g.text);
        assert!(g.text.contains("Buchung ansehen: http://x/g") && g.text.contains("Ort: "), "{}", g.text);
        let r = guardian_reminder(&c, Duration::hours(24), "http://x/g").unwrap();
        assert!(r.text.contains("Der Termin von Ben mit Anna beginnt in 1 Tag"), "{}", r.text);
        let cancelled = Booking { status: BookingStatus::Cancelled, ..b.clone() };
        let student = student_message(&Context { booking: &cancelled, ..c }, ChangeKind::CancelledByStudent, true).unwrap();
        assert!(student.text.contains("Pat (Ihr Elternteil bzw. Ihre erziehungsberechtigte Person) hat Ihren Termin storniert."), "{}", student.text);
        for d in [&g, &r, &student] {
            for english in ["session", "guardian", "Where", "See the booking", "Reschedule or cancel"] {
                assert!(!d.text.contains(english), "{english} in: {}", d.text);
            }
        }
    }

    #[test]
    fn mailbox_refuses_bad_addresses() {
        assert!(mailbox("Ann", "ann@example.org").is_some());
        assert!(mailbox("Ann", "ann@example.org\r\nBcc: x@y.org").is_none());
    }
}
