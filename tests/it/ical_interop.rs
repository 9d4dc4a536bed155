//! Interop of the iCalendar writer with another reader: writes tricky
//! objects through `slotdav::ical::write` (names with `"`, `,`, `;`, `:`,
//! `^`, line breaks and emoji, long lines that fold inside multibyte
//! characters, a booking event, the iMIP REQUEST and CANCEL of a booking, a
//! free/busy answer, a re-serialised client object) into a directory, each
//! `NAME.ics` with a `NAME.json` of the values a reader must get back.
//!
//! Ignored by default: `.ci/run` runs it with `SLOTDAV_ICAL_INTEROP_DIR`
//! set and then `.ci/ical_interop.py`, which reads every file with python
//! `icalendar` and compares. Without the variable it writes into a
//! temporary directory, so it also runs on its own.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

use slotdav::booking::service::booking_vcalendar;
use slotdav::booking::{Booking, BookingStatus};
use slotdav::config::Config;
use slotdav::ical::freebusy::vfreebusy;
use slotdav::ical::write::{Component, Property};
use slotdav::ical::{BusyKind, CalendarObject};
use slotdav::model::TimeRange;

fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, d, h, m, 0).unwrap()
}

/// One expected value: in the first component named `component` (searched
/// depth first), property `property` reads as `value`; `kind` says how the
/// reader compares: "text" (unescaped TEXT), "raw" (the value as written).
fn check(component: &str, property: &str, kind: &str, value: &str) -> Value {
    json!({ "component": component, "property": property, "kind": kind, "value": value })
}

/// As [`check`], with parameters that must read back exactly.
fn check_params(component: &str, property: &str, kind: &str, value: &str, params: &[(&str, &str)]) -> Value {
    let mut c = check(component, property, kind, value);
    c["params"] = params.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>().into();
    c
}

/// The check looks at the `index`-th property of that name.
fn nth(mut c: Value, index: usize) -> Value {
    c["index"] = json!(index);
    c
}

struct Out {
    dir: PathBuf,
    written: usize,
}

impl Out {
    fn write(&mut self, name: &str, ics: &str, checks: Vec<Value>) {
        // Our own reader must accept what our writer wrote, folds and all.
        assert!(slotdav::ical::parse::parse_components(ics.as_bytes()).is_ok(), "{name}: {ics}");
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{name}: line longer than 75 octets: {line:?}");
        }
        std::fs::write(self.dir.join(format!("{name}.ics")), ics).unwrap();
        std::fs::write(self.dir.join(format!("{name}.json")), serde_json::to_string_pretty(&checks).unwrap()).unwrap();
        self.written += 1;
    }
}

const NASTY: &[&str] = &[
    "Quote \" in the middle",
    "Comma, semicolon; colon: all three",
    "Caret ^ and ^^ and ^n literally, backslash \\ too",
    "Two\nlines",
    "Emoji 🎹🎻 and ünïcødé, 日本語",
    "\"starts and ends with quotes\"",
    "trailing backslash \\",
];

fn names(out: &mut Out) {
    let mut event = Component::new("VEVENT")
        .with(Property::new_text("UID", "names@slotdav.test"))
        .with(Property::utc("DTSTAMP", at(1, 0, 0)))
        .with(Property::utc("DTSTART", at(1, 9, 0)))
        .with(Property::utc("DTEND", at(1, 10, 0)));
    let mut checks = vec![
        check("VEVENT", "UID", "text", "names@slotdav.test"),
        check("VEVENT", "DTSTART", "raw", "20260601T090000Z"),
    ];
    // COMMENT is TEXT and may repeat (RFC 5545 §3.8.1.4): the reader
    // unescapes it; the python check takes the i-th one.
    for (i, text) in NASTY.iter().enumerate() {
        event = event.with(Property::new_text("COMMENT", text));
        checks.push(nth(check("VEVENT", "COMMENT", "text", text), i));
    }
    event = event.with(Property::new_text("SUMMARY", NASTY.join(" | ").as_str()));
    checks.push(check("VEVENT", "SUMMARY", "text", &NASTY.join(" | ")));
    for (i, cn) in NASTY.iter().enumerate() {
        let address = format!("mailto:student{i}@example.org");
        event = event.with(Property::new("ATTENDEE", &address).with_param("CN", cn).with_param("PARTSTAT", "ACCEPTED"));
    }
    // Each ATTENDEE is looked up by its address in the python check.
    for (i, cn) in NASTY.iter().enumerate() {
        let mut c = check_params("VEVENT", "ATTENDEE", "raw", &format!("mailto:student{i}@example.org"), &[("CN", cn), ("PARTSTAT", "ACCEPTED")]);
        c["match_value"] = json!(true);
        checks.push(c);
    }
    out.write("names", &Component::calendar(None).with_child(event).to_ics(), checks);
}

fn long_lines(out: &mut Out) {
    // Prefixes of 0–3 ASCII bytes put the 75-octet fold at every position
    // inside 2-, 3- and 4-byte characters.
    let mut event = Component::new("VEVENT")
        .with(Property::new_text("UID", "long@slotdav.test"))
        .with(Property::utc("DTSTAMP", at(1, 0, 0)))
        .with(Property::utc("DTSTART", at(2, 9, 0)));
    let mut checks = Vec::new();
    for (i, unit) in ["é", "€", "🎹", "aé€🎹"].iter().enumerate() {
        for pad in 0..4 {
            let text = format!("{}{}", "x".repeat(pad), unit.repeat(120));
            event = event.with(Property::new_text("COMMENT", &text));
            checks.push(nth(check("VEVENT", "COMMENT", "text", &text), i * 4 + pad));
        }
    }
    let description = "Ein langer Satz über Übungen, Töne; und Pausen: ".repeat(12);
    event = event.with(Property::new_text("DESCRIPTION", &description));
    checks.push(check("VEVENT", "DESCRIPTION", "text", &description));
    out.write("long-lines", &Component::calendar(None).with_child(event).to_ics(), checks);
}

fn booking_objects(out: &mut Out) {
    let toml = "[[coach]]\nuser = \"alice\"\ndisplay_name = \"Alice \\\"Ace\\\" O'Neil, Piano; Voice: ^1\"\n\
timezone = \"Europe/Berlin\"\nworking_hours = { mon = [\"09:00-17:00\"] }\n\
[[coach.event_type]]\nslug = \"lesson\"\ntitle = \"Lesson: 🎹 piano, \\\"advanced\\\"\"\nduration = \"45m\"\nprice = \"€40\"\n";
    let config = Config::parse(toml, Path::new("interop.toml")).unwrap();
    let coach = &config.coaches[0];
    let et = coach.policy.event_type("lesson").unwrap();
    let booking = Booking {
        id: "b1".into(),
        reference: "ABCD-2345".into(),
        coach: "alice".into(),
        event_type: "lesson".into(),
        range: TimeRange::new(at(8, 9, 0), at(8, 9, 45)),
        student_name: "Zoë \"Z\" Müller, jr.; 🎻".into(),
        student_email: "zoe@example.org".into(),
        student_note: Some("Line one;\nline two, with: colon\nand ^ caret \\ backslash".into()),
        status: BookingStatus::Confirmed,
        uid: "booking-b1@slotdav.test".into(),
        sequence: 2,
        created_at: at(1, 0, 0),
        price: "€40".into(),
        cancel_deadline: None,
        outcome: Default::default(),
        guardian: None,
        locale: "en".into(),
    };
    let manage = "https://slotdav.test/book/manage/tok%2Cen;x/";
    let summary = format!("{}: {}", et.title, booking.student_name);
    let description = format!(
        "Note from {}: {}\n\nBooking {} · {}\nManage: {manage}",
        booking.student_name,
        booking.student_note.as_deref().unwrap(),
        booking.reference,
        et.price
    );
    let common = |status: &str, partstat: &str| {
        vec![
            check("VEVENT", "UID", "text", &booking.uid),
            check("VEVENT", "SUMMARY", "text", &summary),
            check("VEVENT", "DESCRIPTION", "text", &description),
            check("VEVENT", "STATUS", "raw", status),
            check("VEVENT", "SEQUENCE", "raw", "2"),
            check("VEVENT", "DTSTART", "raw", "20260608T090000Z"),
            check("VEVENT", "DTEND", "raw", "20260608T094500Z"),
            check("VEVENT", "X-SLOTDAV-REFERENCE", "text", "ABCD-2345"),
            check_params("VEVENT", "ORGANIZER", "raw", "mailto:alice@example.org", &[("CN", &coach.display_name)]),
            check_params(
                "VEVENT",
                "ATTENDEE",
                "raw",
                "mailto:zoe@example.org",
                &[("CN", &booking.student_name), ("ROLE", "REQ-PARTICIPANT"), ("PARTSTAT", partstat)],
            ),
        ]
    };
    let stored = booking_vcalendar(coach, et, &booking, "alice@example.org", manage, None, at(1, 0, 0));
    out.write("booking", &stored, common("CONFIRMED", "ACCEPTED"));

    let request = booking_vcalendar(coach, et, &booking, "alice@example.org", manage, Some("REQUEST"), at(1, 0, 0));
    let mut checks = common("CONFIRMED", "ACCEPTED");
    checks.push(check("VCALENDAR", "METHOD", "raw", "REQUEST"));
    out.write("imip-request", &request, checks);

    let cancelled = Booking { status: BookingStatus::Cancelled, sequence: 3, ..booking.clone() };
    let cancel = booking_vcalendar(coach, et, &cancelled, "alice@example.org", manage, Some("CANCEL"), at(1, 0, 0));
    let mut checks = common("CANCELLED", "DECLINED");
    checks.retain(|c| c["property"] != "SEQUENCE");
    checks.push(check("VEVENT", "SEQUENCE", "raw", "3"));
    checks.push(check("VCALENDAR", "METHOD", "raw", "CANCEL"));
    out.write("imip-cancel", &cancel, checks);
}

fn free_busy(out: &mut Out) {
    let range = TimeRange::new(at(1, 0, 0), at(8, 0, 0));
    let periods = [
        (TimeRange::new(at(1, 9, 0), at(1, 10, 0)), BusyKind::Busy),
        (TimeRange::new(at(2, 14, 30), at(2, 15, 15)), BusyKind::Busy),
        (TimeRange::new(at(3, 8, 0), at(3, 9, 0)), BusyKind::BusyTentative),
        (TimeRange::new(at(4, 12, 0), at(4, 13, 0)), BusyKind::BusyUnavailable),
    ];
    let ics = vfreebusy(range, &periods, at(1, 0, 0));
    let checks = vec![
        check("VFREEBUSY", "DTSTART", "raw", "20260601T000000Z"),
        check("VFREEBUSY", "DTEND", "raw", "20260608T000000Z"),
        check_params(
            "VFREEBUSY",
            "FREEBUSY",
            "periods",
            "20260601T090000Z/20260601T100000Z,20260602T143000Z/20260602T151500Z",
            &[("FBTYPE", "BUSY")],
        ),
    ];
    let mut checks = checks;
    for (value, fbtype) in [
        ("20260603T080000Z/20260603T090000Z", "BUSY-TENTATIVE"),
        ("20260604T120000Z/20260604T130000Z", "BUSY-UNAVAILABLE"),
    ] {
        let mut c = check_params("VFREEBUSY", "FREEBUSY", "periods", value, &[("FBTYPE", fbtype)]);
        c["match_param"] = json!("FBTYPE");
        checks.push(c);
    }
    checks[2]["match_param"] = json!("FBTYPE");
    out.write("freebusy", &ics, checks);
}

fn reserialised(out: &mut Out) {
    // A client's object read by our parser and written again (as the iMIP
    // REQUEST of a scheduling object is): escapes and parameters survive.
    let client = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//client//EN\r\nBEGIN:VEVENT\r\nUID:client-1\r\n\
DTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20260610T090000\r\nSUMMARY:Quartet\\, \\;rehearsal\\n2nd line\r\n\
ORGANIZER;CN=\"Ann ^'A^' Lee, PhD\":mailto:ann@example.org\r\nX-CLIENT;X-P=\"a:b;c\":kept as is\r\n\
DESCRIPTION:long long long long long long long long long long long long long long lo\r\n ng ümlaut\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let obj = CalendarObject::parse(client.as_bytes()).unwrap();
    let mut root = obj.root().clone();
    root.props.push(Property::new("METHOD", "REQUEST"));
    let checks = vec![
        check("VEVENT", "SUMMARY", "text", "Quartet, ;rehearsal\n2nd line"),
        check_params("VEVENT", "ORGANIZER", "raw", "mailto:ann@example.org", &[("CN", "Ann \"A\" Lee, PhD")]),
        check_params("VEVENT", "X-CLIENT", "text", "kept as is", &[("X-P", "a:b;c")]),
        check_params("VEVENT", "DTSTART", "raw", "20260610T090000", &[("TZID", "Europe/Berlin")]),
        check("VEVENT", "DESCRIPTION", "text", &format!("{}ümlaut", "long ".repeat(15))),
        check("VCALENDAR", "METHOD", "raw", "REQUEST"),
    ];
    out.write("reserialised", &root.to_ics(), checks);
}

#[test]
#[ignore = "writes the files .ci/ical_interop.py checks; run by .ci/run"]
fn writes_the_interop_set() {
    let tmp;
    let dir = match std::env::var_os("SLOTDAV_ICAL_INTEROP_DIR") {
        Some(d) => PathBuf::from(d),
        None => {
            tmp = tempfile::tempdir().unwrap();
            tmp.path().to_path_buf()
        }
    };
    std::fs::create_dir_all(&dir).unwrap();
    let mut out = Out { dir, written: 0 };
    names(&mut out);
    long_lines(&mut out);
    booking_objects(&mut out);
    free_busy(&mut out);
    reserialised(&mut out);
    assert_eq!(out.written, 7);
}
