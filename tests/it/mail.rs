//! Email over real HTTP and a real SMTP server: a small SMTP sink in this
//! file listens on 127.0.0.1 and keeps what it is sent (it can refuse
//! recipients on demand). Time is a ManualClock; the outbox worker is run
//! by hand with `Outbox::run_due`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine;
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::task::JoinHandle;

use slotdav::admin::{self, AdminCommand};
use slotdav::clock::{Clock, ManualClock};
use slotdav::config::Config;
use slotdav::ical::CalendarObject;
use slotdav::mail::{MailTransport, MessageKind, Report};

use crate::common::{free_port, BinEnv, TestServer, ALICE, ALICE_PW};

const COACH_EMAIL: &str = "alice@coach.example";

// ---------------------------------------------------------------------------
// SMTP sink
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub(crate) struct Received {
    mail_from: String,
    pub(crate) rcpt: Vec<String>,
    pub(crate) data: String,
}

#[derive(Default)]
struct SinkState {
    messages: Vec<Received>,
    /// Replies to use for the next RCPT commands instead of 250.
    rcpt_replies: VecDeque<String>,
}

pub(crate) struct Sink {
    addr: SocketAddr,
    state: Arc<Mutex<SinkState>>,
    task: JoinHandle<()>,
}

impl Sink {
    pub(crate) async fn start() -> Sink {
        Self::start_on(0).await
    }

    async fn start_on(port: u16) -> Sink {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("bind sink");
        let addr = listener.local_addr().unwrap();
        let state: Arc<Mutex<SinkState>> = Default::default();
        let st = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                tokio::spawn(session(stream, st.clone()));
            }
        });
        Sink { addr, state, task }
    }

    pub(crate) fn port(&self) -> u16 {
        self.addr.port()
    }

    fn refuse_next_rcpt(&self, reply: &str) {
        self.state.lock().unwrap().rcpt_replies.push_back(reply.to_string());
    }

    pub(crate) fn messages(&self) -> Vec<Received> {
        self.state.lock().unwrap().messages.clone()
    }

    pub(crate) fn to(&self, rcpt: &str) -> Vec<Mime> {
        self.messages().into_iter().filter(|m| m.rcpt.iter().any(|r| r == rcpt)).map(|m| Mime::parse(&m.data)).collect()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn session(stream: tokio::net::TcpStream, state: Arc<Mutex<SinkState>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let _ = write.write_all(b"220 sink.test ESMTP\r\n").await;
    let mut mail_from = String::new();
    let mut rcpt = Vec::new();
    loop {
        let mut line = String::new();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let cmd = line.trim_end().to_string();
        let upper = cmd.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            "250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n".into()
        } else if upper.starts_with("HELO") {
            "250 sink.test\r\n".into()
        } else if upper.starts_with("MAIL FROM:") {
            mail_from = cmd[10..].trim().trim_start_matches('<').split('>').next().unwrap_or("").to_string();
            rcpt.clear();
            "250 ok\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            match state.lock().unwrap().rcpt_replies.pop_front() {
                Some(r) => format!("{r}\r\n"),
                None => {
                    rcpt.push(cmd[8..].trim().trim_start_matches('<').split('>').next().unwrap_or("").to_string());
                    "250 ok\r\n".into()
                }
            }
        } else if upper == "DATA" {
            let _ = write.write_all(b"354 go ahead\r\n").await;
            let mut data = String::new();
            loop {
                let mut l = String::new();
                match lines.read_line(&mut l).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if l == ".\r\n" {
                    break;
                }
                data.push_str(l.strip_prefix('.').unwrap_or(&l));
            }
            state.lock().unwrap().messages.push(Received { mail_from: mail_from.clone(), rcpt: std::mem::take(&mut rcpt), data });
            "250 queued\r\n".into()
        } else if upper == "RSET" || upper == "NOOP" {
            rcpt.clear();
            "250 ok\r\n".into()
        } else if upper == "QUIT" {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            "502 not implemented\r\n".into()
        };
        if write.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

// ---------------------------------------------------------------------------
// A small MIME reader
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub(crate) struct Mime {
    headers: Vec<(String, String)>,
    /// Decoded body (for leaf parts).
    pub(crate) body: String,
    pub(crate) parts: Vec<Mime>,
}

impl Mime {
    pub(crate) fn parse(raw: &str) -> Mime {
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with(' ') || line.starts_with('\t') {
                headers.last_mut().expect("continuation after a header").1.push_str(line);
            } else if let Some((k, v)) = line.split_once(':') {
                headers.push((k.to_string(), v.trim_start().to_string()));
            } else {
                panic!("not a header line: {line:?}");
            }
        }
        let mut m = Mime { headers, body: String::new(), parts: Vec::new() };
        let ct = m.header("Content-Type").unwrap_or("text/plain").to_string();
        if ct.to_ascii_lowercase().starts_with("multipart/") {
            let boundary = param(&ct, "boundary").expect("boundary");
            let delimiter = format!("--{boundary}");
            let mut chunks = body.split(&delimiter).skip(1);
            for chunk in &mut chunks {
                if chunk.starts_with("--") {
                    break;
                }
                let chunk = chunk.strip_prefix("\r\n").unwrap_or(chunk);
                let chunk = chunk.strip_suffix("\r\n").unwrap_or(chunk);
                m.parts.push(Mime::parse(chunk));
            }
        } else {
            let cte = m.header("Content-Transfer-Encoding").unwrap_or("7bit").to_ascii_lowercase();
            m.body = match cte.as_str() {
                "base64" => {
                    let clean: String = body.chars().filter(|c| !c.is_whitespace()).collect();
                    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(clean).expect("base64")).expect("utf-8")
                }
                "quoted-printable" => decode_qp(body),
                _ => body.to_string(),
            };
        }
        m
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn count(&self, name: &str) -> usize {
        self.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).count()
    }

    fn content_type(&self) -> String {
        self.header("Content-Type").unwrap_or("text/plain").split(';').next().unwrap().trim().to_ascii_lowercase()
    }

    /// Every part, depth first (self included).
    pub(crate) fn all(&self) -> Vec<&Mime> {
        let mut out = vec![self];
        for p in &self.parts {
            out.extend(p.all());
        }
        out
    }

    fn find(&self, content_type: &str) -> Option<&Mime> {
        self.all().into_iter().find(|p| p.content_type() == content_type)
    }

    pub(crate) fn subject(&self) -> String {
        decode_2047(self.header("Subject").expect("Subject"))
    }

    /// The calendar of the `text/calendar` part and its method. The
    /// Content-Type's `method` parameter and the METHOD property must agree;
    /// the object is parsed by slotdav's own parser without the METHOD line
    /// (which stored calendar objects must not have).
    pub(crate) fn calendar(&self) -> Option<(String, CalendarObject)> {
        let part = self.find("text/calendar")?;
        let method = param(part.header("Content-Type").unwrap(), "method").expect("method parameter");
        let unfolded = part.body.replace("\r\n ", "");
        let lines: Vec<&str> = unfolded.split("\r\n").collect();
        let methods: Vec<&str> = lines.iter().filter_map(|l| l.strip_prefix("METHOD:")).collect();
        assert_eq!(methods, [method.to_ascii_uppercase().as_str()], "METHOD property matches the Content-Type");
        let without: Vec<&str> = lines.into_iter().filter(|l| !l.starts_with("METHOD:")).collect();
        let obj = CalendarObject::parse(without.join("\r\n").as_bytes()).expect("calendar part parses");
        Some((method, obj))
    }
}

fn param(header: &str, name: &str) -> Option<String> {
    header.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim().trim_matches('"').to_string())
    })
}

fn decode_qp(s: &str) -> String {
    let s = s.replace("=\r\n", "");
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).expect("qp hex"));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8")
}

/// Decodes RFC 2047 encoded words (B and Q), joining adjacent ones.
fn decode_2047(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    let mut last_was_word = false;
    while !rest.is_empty() {
        if let Some(start) = rest.find("=?") {
            let (before, from) = rest.split_at(start);
            let parts: Vec<&str> = from[2..].splitn(3, '?').collect();
            if parts.len() == 3 {
                if let Some(end) = parts[2].find("?=") {
                    if !(last_was_word && before.trim().is_empty()) {
                        out.push_str(before);
                    }
                    let text = &parts[2][..end];
                    let bytes = match parts[1].to_ascii_lowercase().as_str() {
                        "b" => base64::engine::general_purpose::STANDARD.decode(text).expect("b-word"),
                        _ => decode_qp(&text.replace('_', " ")).into_bytes(),
                    };
                    out.push_str(&String::from_utf8(bytes).expect("utf-8 word"));
                    let consumed = start + 2 + parts[0].len() + 1 + parts[1].len() + 1 + end + 2;
                    rest = &rest[consumed..];
                    last_was_word = true;
                    continue;
                }
            }
        }
        out.push_str(rest);
        break;
    }
    out
}

// ---------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------

const COACH_TOML: &str = r#"
[[coach]]
user = "alice"
display_name = "Alice Coach"
timezone = "Europe/Berlin"
working_hours = { mon = ["09:00-17:00"], tue = ["09:00-17:00"], wed = ["09:00-17:00"], thu = ["09:00-17:00"], fri = ["09:00-17:00"] }

[[coach.event_type]]
slug = "trial"
title = "Trial lesson"
duration = "30m"
price = "€40"

[[coach.event_type]]
slug = "consult"
title = "Consultation"
duration = "30m"
requires_confirmation = true
"#;

/// Monday 4 March 2030, 09:00 in Berlin.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 4, 8, 0, 0).unwrap()
}

/// Wednesday 6 March 2030 at `hour`:`min` in Berlin (UTC+1).
fn wed(hour: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 6, hour - 1, min, 0).unwrap()
}

async fn server(smtp_port: u16, clock: &Arc<ManualClock>, dir: Option<TempDir>, configure: impl FnOnce(&mut Config)) -> TestServer {
    let coaches = Config::parse(COACH_TOML, std::path::Path::new("test.toml")).expect("coach config").coaches;
    let mut b = TestServer::builder().user_with_email(ALICE, ALICE_PW, COACH_EMAIL).config(|c| {
        c.coaches = coaches;
        c.mail.transport = MailTransport::Smtp;
        c.mail.smtp_host = "127.0.0.1".into();
        c.mail.smtp_port = smtp_port;
        c.mail.smtp_timeout = std::time::Duration::from_secs(5);
        configure(c);
    });
    if let Some(d) = dir {
        b = b.data_dir(d);
    }
    let clock: Arc<dyn Clock> = clock.clone();
    b.start_with_clock(clock).await
}

fn manual_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(t0()))
}

async fn post(s: &TestServer, path: &str, body: Value) -> crate::common::Resp {
    s.request("POST", path).header("Content-Type", "application/json").body(body.to_string()).send().await
}

/// Books `event_type` at `start` for a student; returns the API's booking.
async fn book(s: &TestServer, event_type: &str, start: DateTime<Utc>, name: &str, email: &str, note: &str) -> Value {
    let r = post(s, &format!("/api/v1/coaches/alice/event-types/{event_type}/holds"), json!({"start": start.to_rfc3339()})).await.status(201);
    let hold: Value = serde_json::from_slice(&r.bytes).unwrap();
    let hold_id = hold["hold_id"].as_str().unwrap();
    let r = post(s, &format!("/api/v1/holds/{hold_id}/confirm"), json!({"name": name, "email": email, "note": note})).await.status(201);
    serde_json::from_slice(&r.bytes).unwrap()
}

async fn run(s: &TestServer) -> Report {
    s.app.outbox.run_due().await.expect("outbox run")
}

fn reminders_pending(s: &TestServer) -> Vec<slotdav::mail::OutboxEntry> {
    s.app.outbox.status().unwrap().pending.into_iter().filter(|e| matches!(e.kind, MessageKind::Reminder { .. })).collect()
}

fn token(b: &Value) -> String {
    b["manage_token"].as_str().expect("manage token").to_string()
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[tokio::test]
async fn booking_sends_an_imip_request_to_the_student_and_a_notice_to_the_coach() {
    let sink = Sink::start().await;
    let clock = manual_clock();
    let s = server(sink.port(), &clock, None, |_| {}).await;
    book(&s, "trial", wed(10, 0), "Ben Student", "ben@example.org", "Grammar, please").await;

    let report = run(&s).await;
    assert_eq!(report.sent, 2, "{report:?}");
    assert_eq!(sink.messages().len(), 2);
    assert!(sink.messages().iter().all(|m| m.mail_from == "bookings@example.org"));

    let student = sink.to("ben@example.org");
    assert_eq!(student.len(), 1);
    let m = &student[0];
    assert!(m.header("From").unwrap().contains("<bookings@example.org>"), "{m:?}");
    assert!(m.header("To").unwrap().contains("<ben@example.org>"));
    assert!(m.header("Reply-To").unwrap().contains(COACH_EMAIL), "reply-to the coach: {m:?}");
    assert!(m.subject().starts_with("Booked: Trial lesson with Alice Coach"), "{}", m.subject());
    assert!(m.header("Date").is_some() && m.header("Message-ID").is_some());
    assert_eq!(m.content_type(), "multipart/mixed");
    let alternative = m.find("multipart/alternative").expect("multipart/alternative");
    let kinds: Vec<String> = alternative.parts.iter().map(|p| p.content_type()).collect();
    assert_eq!(kinds, ["text/plain", "text/html", "text/calendar"]);
    let cal_ct = alternative.parts[2].header("Content-Type").unwrap().to_ascii_lowercase();
    assert!(cal_ct.contains("method=request") && cal_ct.contains("charset=utf-8"), "{cal_ct}");
    let attachment = m.parts.iter().find(|p| p.header("Content-Disposition").is_some_and(|d| d.contains("invite.ics"))).expect("invite.ics");
    assert!(attachment.body.contains("METHOD:REQUEST"));
    let text = &alternative.parts[0].body;
    assert!(text.contains("/book/manage/"), "manage link in the text: {text}");
    assert!(alternative.parts[1].body.contains("/book/manage/"));

    let (method, cal) = m.calendar().unwrap();
    assert_eq!(method.to_ascii_uppercase(), "REQUEST");
    assert_eq!(cal.dtstart(), Some(wed(10, 0)));
    assert_eq!(cal.sequence(), 0);
    assert!(cal.organizer().unwrap().to_ascii_lowercase().contains(COACH_EMAIL));
    assert!(cal.attendees().iter().any(|a| a.to_ascii_lowercase().contains("ben@example.org")));
    assert!(cal.raw().contains("/book/manage/"));

    let coach = sink.to(COACH_EMAIL);
    assert_eq!(coach.len(), 1);
    let c = &coach[0];
    assert!(c.subject().starts_with("New booking: Trial lesson with Ben Student"), "{}", c.subject());
    assert!(c.header("Reply-To").unwrap().contains("ben@example.org"));
    assert!(c.find("text/calendar").is_none(), "the coach's calendar has the event already");
    assert!(c.find("text/plain").unwrap().body.contains("Grammar, please"));

    // Sent once: a second run finds nothing due (the reminders are ahead).
    assert_eq!(run(&s).await, Report::default());
    assert_eq!(sink.messages().len(), 2);
    assert_eq!(reminders_pending(&s).len(), 2, "24h and 1h reminders queued");
    assert_eq!(s.app.outbox.status().unwrap().sent, 2);
}

#[tokio::test]
async fn reschedule_sends_the_same_uid_with_a_higher_sequence_and_cancel_sends_cancel() {
    let sink = Sink::start().await;
    let clock = manual_clock();
    let s = server(sink.port(), &clock, None, |_| {}).await;
    let b = book(&s, "trial", wed(10, 0), "Ben", "ben@example.org", "").await;
    run(&s).await;
    let (_, first) = sink.to("ben@example.org")[0].calendar().unwrap();

    post(&s, &format!("/api/v1/bookings/{}/reschedule", token(&b)), json!({"start": wed(14, 0).to_rfc3339()})).await.status(200);
    assert_eq!(run(&s).await.sent, 2);
    let student = sink.to("ben@example.org");
    assert_eq!(student.len(), 2);
    assert!(student[1].subject().starts_with("Rescheduled:"), "{}", student[1].subject());
    let (method, moved) = student[1].calendar().unwrap();
    assert_eq!(method.to_ascii_uppercase(), "REQUEST");
    assert_eq!(moved.uid(), first.uid());
    assert!(moved.sequence() > first.sequence());
    assert_eq!(moved.dtstart(), Some(wed(14, 0)));
    assert!(sink.to(COACH_EMAIL)[1].subject().starts_with("Rescheduled:"));
    let reminders = reminders_pending(&s);
    assert_eq!(reminders.len(), 2, "{reminders:?}");
    assert!(reminders.iter().all(|r| r.session_start == wed(14, 0)), "the old reminders were replaced");

    post(&s, &format!("/api/v1/bookings/{}/cancel", token(&b)), json!({})).await.status(200);
    assert_eq!(run(&s).await.sent, 2);
    let student = sink.to("ben@example.org");
    let (method, cancelled) = student[2].calendar().unwrap();
    assert_eq!(method.to_ascii_uppercase(), "CANCEL");
    assert_eq!(cancelled.uid(), first.uid());
    assert_eq!(cancelled.status().as_deref(), Some("CANCELLED"));
    assert!(cancelled.sequence() > moved.sequence());
    assert!(sink.to(COACH_EMAIL)[2].subject().starts_with("Cancelled:"));
    assert!(reminders_pending(&s).is_empty(), "a cancellation removes the reminders");
}

#[tokio::test]
async fn coach_deleting_the_event_over_caldav_sends_cancel_to_the_student_only() {
    let sink = Sink::start().await;
    let clock = manual_clock();
    let s = server(sink.port(), &clock, None, |_| {}).await;
    book(&s, "trial", wed(10, 0), "Ben", "ben@example.org", "").await;
    run(&s).await;
    let (_, invite) = sink.to("ben@example.org")[0].calendar().unwrap();
    let name = format!("{}.ics", invite.uid().replace('@', "-"));
    s.request("DELETE", &format!("/dav/calendars/alice/sessions/{name}")).as_user(ALICE).send().await.status(204);

    assert_eq!(run(&s).await.sent, 1);
    let student = sink.to("ben@example.org");
    assert_eq!(student.len(), 2);
    assert!(student[1].subject().starts_with("Cancelled by Alice Coach"), "{}", student[1].subject());
    let (method, cal) = student[1].calendar().unwrap();
    assert_eq!(method.to_ascii_uppercase(), "CANCEL");
    assert_eq!(cal.uid(), invite.uid());
    assert!(cal.sequence() > invite.sequence());
    assert_eq!(sink.to(COACH_EMAIL).len(), 1, "no notice to the coach about their own change");
    assert!(reminders_pending(&s).is_empty());
}

#[tokio::test]
async fn coach_deleting_a_request_over_caldav_sends_the_student_a_declined_mail() {
    let sink = Sink::start().await;
    let clock = manual_clock();
    let s = server(sink.port(), &clock, None, |_| {}).await;
    book(&s, "consult", wed(11, 0), "Ben", "ben@example.org", "").await;
    assert_eq!(run(&s).await.sent, 2);
    let list = s
        .request("PROPFIND", "/dav/calendars/alice/sessions/")
        .as_user(ALICE)
        .depth("1")
        .xml(crate::common::propfind_props(&["D:getetag"]))
        .send()
        .await
        .status(207);
    let href = list.hrefs().into_iter().find(|h| h.ends_with(".ics")).expect("the request's event");
    s.request("DELETE", &href).as_user(ALICE).send().await.status(204);

    assert_eq!(run(&s).await.sent, 1);
    let student = sink.to("ben@example.org");
    assert_eq!(student.len(), 2);
    assert!(student[1].subject().starts_with("Declined:"), "{}", student[1].subject());
    let text = &student[1].find("text/plain").expect("a text part").body;
    assert!(text.contains("could not accept your request"), "{text}");
    assert!(student[1].calendar().is_none(), "never invited, so no CANCEL either");
    assert_eq!(sink.to(COACH_EMAIL).len(), 1, "no notice to the coach about their own change");
}

#[tokio::test]
async fn tentative_booking_gets_request_received_then_the_invitation_when_the_coach_confirms() {
    let sink = Sink::start().await;
    let clock = manual_clock();
    let s = server(sink.port(), &clock, None, |_| {}).await;
    book(&s, "consult", wed(11, 0), "Ben", "ben@example.org", "").await;
    assert_eq!(run(&s).await.sent, 2);
    let first = &sink.to("ben@example.org")[0];
    assert!(first.subject().starts_with("Request received:"), "{}", first.subject());
    assert!(first.find("text/calendar").is_none(), "no invitation before the coach confirms");
    assert!(sink.to(COACH_EMAIL)[0].subject().starts_with("Please confirm:"));
    assert!(reminders_pending(&s).is_empty(), "no reminders for an unconfirmed booking");

    // The coach confirms in their calendar app: STATUS:TENTATIVE → CONFIRMED.
    let list = s
        .request("PROPFIND", "/dav/calendars/alice/sessions/")
        .as_user(ALICE)
        .depth("1")
        .xml(crate::common::propfind_props(&["D:getetag"]))
        .send()
        .await
        .status(207);
    let href = list.hrefs().into_iter().find(|h| h.ends_with(".ics")).expect("the booking's event");
    let ics = String::from_utf8(s.http.get(ALICE, &href).await.to_vec()).unwrap();
    assert!(ics.contains("STATUS:TENTATIVE"));
    let confirmed = ics.replace("STATUS:TENTATIVE", "STATUS:CONFIRMED");
    s.request("PUT", &href).as_user(ALICE).header("Content-Type", "text/calendar").body(confirmed).send().await.status_in(&[201, 204]);

    assert_eq!(run(&s).await.sent, 1);
    let student = sink.to("ben@example.org");
    assert_eq!(student.len(), 2);
    assert!(student[1].subject().starts_with("Confirmed:"), "{}", student[1].subject());
    let (method, cal) = student[1].calendar().unwrap();
    assert_eq!(method.to_ascii_uppercase(), "REQUEST");
    assert_eq!(cal.status().as_deref(), Some("CONFIRMED"));
    assert_eq!(reminders_pending(&s).len(), 2);
}

#[tokio::test]
async fn smtp_down_at_booking_time_the_booking_succeeds_and_mail_goes_out_later_exactly_once() {
    let port = free_port();
    let clock = manual_clock();
    let s = server(port, &clock, None, |_| {}).await;
    // Nothing listens on `port`: the booking must not care.
    book(&s, "trial", wed(10, 0), "Ben", "ben@example.org", "").await;
    let report = run(&s).await;
    assert_eq!(report, Report { retried: 2, ..Default::default() });
    let status = s.app.outbox.status().unwrap();
    let waiting: Vec<_> = status.pending.iter().filter(|e| !matches!(e.kind, MessageKind::Reminder { .. })).collect();
    assert_eq!(waiting.len(), 2);
    assert!(waiting.iter().all(|e| e.attempts == 1 && e.last_error.is_some()), "{waiting:?}");

    let sink = Sink::start_on(port).await;
    // Not yet: the retry waits for its backoff (1 minute by default).
    assert_eq!(run(&s).await, Report::default());
    assert!(sink.messages().is_empty());
    clock.advance(Duration::minutes(2));
    assert_eq!(run(&s).await.sent, 2);
    assert_eq!(sink.to("ben@example.org").len(), 1);
    assert_eq!(sink.to(COACH_EMAIL).len(), 1);
    clock.advance(Duration::minutes(10));
    assert_eq!(run(&s).await, Report::default());
    assert_eq!(sink.messages().len(), 2, "each message arrives exactly once");
}

#[tokio::test]
async fn temporary_refusal_is_retried() {
    let sink = Sink::start().await;
    let clock = manual_clock();
    let s = server(sink.port(), &clock, None, |c| c.coaches[0].notify_coach = false).await;
    sink.refuse_next_rcpt("451 4.7.1 greylisted, try again later");
    book(&s, "trial", wed(10, 0), "Ben", "ben@example.org", "").await;
    assert_eq!(run(&s).await, Report { retried: 1, ..Default::default() });
    let pending = s.app.outbox.status().unwrap().pending;
    let entry = pending.iter().find(|e| e.kind == MessageKind::Student).unwrap();
    assert_eq!(entry.attempts, 1);
    assert!(entry.last_error.as_deref().unwrap().contains("451"), "{entry:?}");
    assert!(sink.messages().is_empty());

    clock.advance(Duration::seconds(61));
    assert_eq!(run(&s).await.sent, 1);
    assert_eq!(sink.messages().len(), 1);
    assert_eq!(sink.messages()[0].rcpt, ["ben@example.org"]);
}

#[tokio::test]
async fn permanent_refusal_fails_the_message_and_the_outbox_listing_shows_it() {
    let sink = Sink::start().await;
    let clock = manual_clock();
    let s = server(sink.port(), &clock, None, |c| c.coaches[0].notify_coach = false).await;
    sink.refuse_next_rcpt("550 5.1.1 no such mailbox");
    book(&s, "trial", wed(10, 0), "Ben", "ben@example.org", "").await;
    assert_eq!(run(&s).await, Report { failed: 1, ..Default::default() });
    clock.advance(Duration::hours(2));
    assert_eq!(run(&s).await, Report::default(), "a failed message is not tried again");
    assert!(sink.messages().is_empty());

    let status = s.app.outbox.status().unwrap();
    assert_eq!(status.failed.len(), 1);
    assert!(status.failed[0].reason.contains("550"), "{:?}", status.failed[0]);
    let listing = admin::execute(&*s.storage, AdminCommand::OutboxList, clock.now()).expect("outbox list");
    assert!(listing.contains("failed: 1"), "{listing}");
    assert!(listing.contains("550") && listing.contains("ben@example.org"), "{listing}");
    assert!(listing.contains("pending: 2"), "the two reminders: {listing}");
    assert!(listing.contains("sent: 0"), "{listing}");
}

#[tokio::test]
async fn reminders_are_sent_once_across_restarts_late_when_still_useful_and_dropped_when_the_session_began() {
    let sink = Sink::start().await;
    let clock = manual_clock();
    let s = server(sink.port(), &clock, None, |c| c.coaches[0].notify_coach = false).await;
    book(&s, "trial", wed(10, 0), "Ben", "ben@example.org", "").await;
    book(&s, "trial", wed(12, 0), "Cleo", "cleo@example.org", "").await;
    assert_eq!(run(&s).await.sent, 2);
    let reminders = |rcpt: &str| sink.to(rcpt).into_iter().filter(|m| m.subject().starts_with("Reminder:")).count();

    // 24 hours before Ben's session.
    clock.set(wed(10, 0) - Duration::hours(24) + Duration::minutes(1));
    assert_eq!(run(&s).await, Report { sent: 1, ..Default::default() });
    assert_eq!(reminders("ben@example.org"), 1);
    let m = sink.to("ben@example.org").pop().unwrap();
    assert!(m.subject().contains("Trial lesson with Alice Coach"), "{}", m.subject());
    assert_eq!(run(&s).await, Report::default());

    // Restart on the same store: nothing is sent twice.
    let dir = s.stop_keep_data().await;
    let s = server(sink.port(), &clock, Some(dir), |c| c.coaches[0].notify_coach = false).await;
    assert_eq!(run(&s).await, Report::default());
    assert_eq!(reminders("ben@example.org"), 1);

    clock.set(wed(12, 0) - Duration::hours(24) + Duration::minutes(1));
    assert_eq!(run(&s).await.sent, 1);
    assert_eq!(reminders("cleo@example.org"), 1);

    // Down from before 09:00 until 11:30: Ben's session started meanwhile
    // (his 1h reminder is dropped); Cleo's starts at 12:00 (hers is sent late).
    let dir = s.stop_keep_data().await;
    clock.set(wed(11, 30));
    let s = server(sink.port(), &clock, Some(dir), |c| c.coaches[0].notify_coach = false).await;
    assert_eq!(run(&s).await, Report { sent: 1, dropped: 1, ..Default::default() });
    assert_eq!(reminders("ben@example.org"), 1);
    assert_eq!(reminders("cleo@example.org"), 2);
    clock.set(wed(13, 0));
    assert_eq!(run(&s).await, Report::default());
    let status = s.app.outbox.status().unwrap();
    assert!(status.pending.is_empty(), "{:?}", status.pending);
    assert_eq!((status.sent, status.dropped), (5, 1));
}

#[tokio::test]
async fn names_and_notes_cannot_inject_headers() {
    let sink = Sink::start().await;
    let clock = manual_clock();
    let s = server(sink.port(), &clock, None, |_| {}).await;
    let note = "hi\r\nBcc: y@evil.example\r\n\r\n.\r\nRCPT TO:<z@evil.example>\r\nnext line";
    book(&s, "trial", wed(10, 0), "Eve\r\nBcc: x@evil.example", "eve@example.org", note).await;
    assert_eq!(run(&s).await.sent, 2);
    let all = sink.messages();
    assert_eq!(all.len(), 2);
    for m in &all {
        assert_eq!(m.rcpt.len(), 1, "{m:?}");
        assert!(!m.rcpt[0].contains("evil"), "{m:?}");
        let mime = Mime::parse(&m.data);
        assert_eq!(mime.count("Bcc"), 0, "{}", m.data);
        assert_eq!(mime.count("To"), 1);
        assert_eq!(mime.count("Subject"), 1);
        assert_eq!(mime.count("Reply-To"), 1);
    }
    let student = &sink.to("eve@example.org")[0];
    let to = decode_2047(student.header("To").unwrap());
    assert_eq!(to.matches('@').count(), 2, "one mailbox, the name quoted: {to}");
    assert!(to.ends_with("<eve@example.org>"), "{to}");
    let coach = &sink.to(COACH_EMAIL)[0];
    let text = &coach.find("text/plain").unwrap().body;
    assert!(text.contains("next line"), "the whole note arrived in the body: {text}");
}

#[tokio::test]
async fn non_ascii_names_are_rfc2047_encoded() {
    let sink = Sink::start().await;
    let clock = manual_clock();
    let s = server(sink.port(), &clock, None, |_| {}).await;
    book(&s, "trial", wed(10, 0), "Zoë Ünal", "zoe@example.org", "").await;
    run(&s).await;
    let student = &sink.to("zoe@example.org")[0];
    let raw_to = student.header("To").unwrap();
    assert!(raw_to.is_ascii() && raw_to.contains("=?utf-8?"), "{raw_to}");
    let to = decode_2047(raw_to);
    assert!(to.contains("Zoë Ünal") && to.contains("<zoe@example.org>"), "{to}");
    let coach = &sink.to(COACH_EMAIL)[0];
    assert!(coach.header("Subject").unwrap().is_ascii());
    assert!(coach.subject().contains("Zoë Ünal"), "{}", coach.subject());
    let (_, cal) = student.calendar().unwrap();
    assert!(cal.raw().contains("Zoë Ünal"), "UTF-8 in the calendar part");
}

#[tokio::test]
async fn header_builders_keep_line_breaks_out_of_headers() {
    // The mail layer itself, without the booking form's cleaning.
    use slotdav::mail::compose::{format, mailbox, Draft};
    let from = mailbox("slotdav", "bookings@example.org").unwrap();
    let draft = Draft {
        to: mailbox("Eve\r\nBcc: x@evil.example", "eve@example.org").unwrap(),
        reply_to: mailbox("Coach\nX-Injected: 1", "alice@coach.example"),
        subject: "Hello\r\nBcc: y@evil.example".into(),
        text: "body".into(),
        html: "<p>body</p>".into(),
        calendar: None,
    };
    let bytes = format(&draft, &from, "test-id", t0()).unwrap();
    let m = Mime::parse(&String::from_utf8(bytes).unwrap());
    assert_eq!(m.count("Bcc"), 0);
    assert_eq!(m.count("X-Injected"), 0);
    assert_eq!(m.subject(), "Hello Bcc: y@evil.example");
    assert!(mailbox("Eve", "eve@example.org\r\nBcc: x@evil.example").is_none());
}

#[test]
fn outbox_list_command_works_without_a_server() {
    let env = BinEnv::new("");
    let out = env.cli(&["outbox", "list"], "").success();
    assert!(out.stdout.contains("pending: 0") && out.stdout.contains("failed: 0") && out.stdout.contains("sent: 0"), "{out:?}");
}

/// RFC 6638 implicit scheduling: slotdav advertises
/// `calendar-auto-schedule`, so clients leave invitations to it. An event
/// the user organizes, stored from their calendar app, sends each attendee
/// an iMIP REQUEST; a new time sends an update; DELETE sends a CANCEL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_a_user_organizes_invite_their_attendees_by_email() {
    let sink = Sink::start().await;
    let clock = manual_clock();
    let s = server(sink.port(), &clock, None, |_| {}).await;
    let path = "/dav/calendars/alice/calendar/meeting.ics";
    let event = |start: &str| {
        format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN\r\nBEGIN:VEVENT\r\nUID:meeting-1\r\nDTSTAMP:20300301T000000Z\r\nDTSTART:{start}\r\nDURATION:PT1H\r\nSUMMARY:Parents' evening\r\nORGANIZER;CN=Alice:mailto:{COACH_EMAIL}\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:{COACH_EMAIL}\r\nATTENDEE;RSVP=TRUE:mailto:parent@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    };
    let r = s.request("PUT", path).as_user(ALICE).body(event("20300310T160000Z")).send().await.status(201);
    let tag = r.header("schedule-tag").expect("RFC 6638 §3.2: Schedule-Tag on a scheduling object").to_string();
    let got = s.request("GET", path).as_user(ALICE).send().await.status(200);
    assert_eq!(got.header("schedule-tag"), Some(tag.as_str()), "GET names the same Schedule-Tag");
    run(&s).await;
    let got = sink.to("parent@example.org");
    assert_eq!(got.len(), 1, "one invitation, and none to the organizer");
    assert!(sink.to(COACH_EMAIL).is_empty());
    let (method, obj) = got[0].calendar().expect("an iMIP part");
    assert_eq!(method.to_ascii_uppercase(), "REQUEST");
    assert_eq!(obj.uid(), "meeting-1");

    // Same time, new description: no message. New time: an update.
    let described = event("20300310T160000Z").replace("SUMMARY:", "DESCRIPTION:Bring the report\r\nSUMMARY:");
    s.request("PUT", path).as_user(ALICE).body(described).send().await.status(204);
    run(&s).await;
    assert_eq!(sink.to("parent@example.org").len(), 1);
    s.request("PUT", path).as_user(ALICE).body(event("20300311T160000Z")).send().await.status(204);
    run(&s).await;
    let got = sink.to("parent@example.org");
    assert_eq!(got.len(), 2);
    let (method, obj) = got[1].calendar().unwrap();
    assert_eq!(method.to_ascii_uppercase(), "REQUEST");
    assert_eq!(obj.dtstart(), Some(Utc.with_ymd_and_hms(2030, 3, 11, 16, 0, 0).unwrap()));

    // Deleted in the app: the attendee gets a CANCEL.
    s.request("DELETE", path).as_user(ALICE).send().await.status(204);
    run(&s).await;
    let got = sink.to("parent@example.org");
    assert_eq!(got.len(), 3);
    let (method, obj) = got[2].calendar().unwrap();
    assert_eq!(method.to_ascii_uppercase(), "CANCEL");
    assert_eq!(obj.uid(), "meeting-1");
    assert_eq!(obj.status().as_deref(), Some("CANCELLED"));

    // The server says it schedules, and where the inbox and outbox are.
    let r = s.request("OPTIONS", "/dav/principals/alice/").as_user(ALICE).send().await;
    assert!(r.header("dav").unwrap_or("").contains("calendar-auto-schedule"));
    s.request("PROPFIND", "/dav/principals/alice/inbox/").as_user(ALICE).depth("0").send().await.status(207).contains("schedule-inbox");
}
