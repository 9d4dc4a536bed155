//! CalDAV REPORTs (RFC 4791 §7): calendar-multiget, calendar-query with
//! every kind of filter, calendar-data shaping, free-busy-query; and the
//! answer to a REPORT the resource does not support (RFC 3253 §3.6).

use super::*;

const VTIMEZONE_BERLIN: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";

fn href(name: &str) -> String {
    format!("{CAL}{name}")
}

/// The hrefs a calendar-query on the default calendar answers, sorted.
async fn query_hrefs(server: &TestServer, filter: &str) -> Vec<String> {
    let r = report(server, CAL, calendar_query("", filter)).await.status(207);
    sorted_hrefs(&r, &[])
}

fn hrefs_of(names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|n| href(n)).collect();
    v.sort();
    v
}

/// RFC 4791 §7.9: calendar-multiget returns the objects asked for, and a
/// 404 response for an href that names nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_7_9_calendar_multiget_with_a_missing_href() {
    let server = TestServer::start().await;
    let body_a = event("mg-a", &["DTSTART:20260601T100000Z", "SUMMARY:A"]);
    let etag = put_ok(&server, &href("a.ics"), body_a.clone()).await;
    let body = format!(
        r#"<C:calendar-multiget {NS_DECLS}><D:prop><D:getetag/><C:calendar-data/></D:prop><D:href>{}</D:href><D:href>{}</D:href></C:calendar-multiget>"#,
        href("a.ics"),
        href("missing.ics")
    );
    let r = report(&server, CAL, body).await.status(207);
    assert_eq!(r.hrefs(), vec![href("a.ics"), href("missing.ics")]);
    assert_eq!(r.prop_status(&href("a.ics"), "getetag"), Some(200));
    assert_eq!(prop_text(&r, Some(&href("a.ics")), "getetag").unwrap(), etag);
    assert_eq!(prop_text(&r, Some(&href("a.ics")), "calendar-data").unwrap(), body_a);
    let missing = split_elements(&r.text(), "response").into_iter().find(|x| x.contains("missing.ics")).unwrap();
    assert!(missing.contains("404"), "{missing}");
    assert!(!missing.contains("calendar-data"), "{missing}");
}

/// Puts the objects the filter tests search.
async fn put_filter_corpus(server: &TestServer) {
    put_ok(server, &href("aerger-upper.ics"), event("aerger-upper", &["DTSTART:20260601T080000Z", "SUMMARY:ÄRGER im Büro", "LOCATION:Büro"])).await;
    put_ok(server, &href("aerger-lower.ics"), event("aerger-lower", &["DTSTART:20260602T080000Z", "SUMMARY:ärger zuhause"])).await;
    put_ok(
        server,
        &href("meeting.ics"),
        event(
            "meeting",
            &[
                "DTSTART:20260603T080000Z",
                "SUMMARY:Team Meeting",
                "LOCATION:Room 1",
                "ATTENDEE;PARTSTAT=NEEDS-ACTION;CN=Bob:mailto:bob@example.org",
                "CATEGORIES:WORK",
            ],
        ),
    )
    .await;
    put_ok(
        server,
        &href("lunch.ics"),
        event("lunch", &["DTSTART:20260604T110000Z", "SUMMARY:Lunch", "LOCATION:Canteen", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:carol@example.org"]),
    )
    .await;
    put_ok(server, &href("task.ics"), todo("task", &["SUMMARY:Meeting vorbereiten", "DUE:20260603T070000Z"])).await;
}

fn summary_match(text: &str, attrs: &str) -> String {
    format!(
        r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match {attrs}>{text}</C:text-match></C:prop-filter></C:comp-filter></C:comp-filter>"#
    )
}

/// RFC 4791 §9.7.1: comp-filter selects by component kind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_7_1_comp_filter() {
    let server = TestServer::start().await;
    put_filter_corpus(&server).await;
    let events = query_hrefs(&server, r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter>"#).await;
    assert_eq!(events, hrefs_of(&["aerger-upper.ics", "aerger-lower.ics", "meeting.ics", "lunch.ics"]));
    let todos = query_hrefs(&server, r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"/></C:comp-filter>"#).await;
    assert_eq!(todos, hrefs_of(&["task.ics"]));
    let all = query_hrefs(&server, r#"<C:comp-filter name="VCALENDAR"/>"#).await;
    assert_eq!(all.len(), 5);
    let no_events = query_hrefs(
        &server,
        r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:is-not-defined/></C:comp-filter></C:comp-filter>"#,
    )
    .await;
    assert_eq!(no_events, hrefs_of(&["task.ics"]));
}

/// RFC 4791 §9.7.5, RFC 4790 §9.2 and RFC 5051: `i;ascii-casemap` folds
/// only ASCII letters, `i;unicode-casemap` folds "ÄRGER" to "ärger";
/// `negate-condition` inverts the match.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_7_5_text_match_collations_and_negation() {
    let server = TestServer::start().await;
    put_filter_corpus(&server).await;
    let q = |text: &str, attrs: &str| summary_match(text, attrs);
    assert_eq!(
        query_hrefs(&server, &q("ärger", r#"collation="i;unicode-casemap""#)).await,
        hrefs_of(&["aerger-upper.ics", "aerger-lower.ics"])
    );
    assert_eq!(query_hrefs(&server, &q("ÄRGER", r#"collation="i;unicode-casemap""#)).await, hrefs_of(&["aerger-upper.ics", "aerger-lower.ics"]));
    assert_eq!(query_hrefs(&server, &q("ärger", r#"collation="i;ascii-casemap""#)).await, hrefs_of(&["aerger-lower.ics"]));
    assert_eq!(query_hrefs(&server, &q("RGER", r#"collation="i;ascii-casemap""#)).await, hrefs_of(&["aerger-upper.ics", "aerger-lower.ics"]));
    // The default collation is i;ascii-casemap (§9.7.5).
    assert_eq!(query_hrefs(&server, &q("team MEETING", "")).await, hrefs_of(&["meeting.ics"]));
    assert_eq!(query_hrefs(&server, &q("Team", r#"collation="i;octet""#)).await, hrefs_of(&["meeting.ics"]));
    assert!(query_hrefs(&server, &q("team", r#"collation="i;octet""#)).await.is_empty());
    assert_eq!(
        query_hrefs(&server, &q("ärger", r#"collation="i;unicode-casemap" negate-condition="yes""#)).await,
        hrefs_of(&["meeting.ics", "lunch.ics"])
    );
    let r = report(&server, CAL, calendar_query("", &q("x", r#"collation="i;klingon""#))).await;
    assert_eq!(r.code(), 403, "{}", r.describe());
    r.contains("supported-collation");
}

/// RFC 4791 §9.7.2, §9.7.4: prop-filter on existence and absence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_7_2_prop_filter_and_is_not_defined() {
    let server = TestServer::start().await;
    put_filter_corpus(&server).await;
    let prop = |inner: &str| {
        format!(r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">{inner}</C:comp-filter></C:comp-filter>"#)
    };
    assert_eq!(
        query_hrefs(&server, &prop(r#"<C:prop-filter name="LOCATION"/>"#)).await,
        hrefs_of(&["aerger-upper.ics", "meeting.ics", "lunch.ics"])
    );
    assert_eq!(
        query_hrefs(&server, &prop(r#"<C:prop-filter name="LOCATION"><C:is-not-defined/></C:prop-filter>"#)).await,
        hrefs_of(&["aerger-lower.ics"])
    );
    // All prop-filters must match (anyof is the default only in CardDAV).
    assert_eq!(
        query_hrefs(&server, &prop(r#"<C:prop-filter name="LOCATION"/><C:prop-filter name="CATEGORIES"><C:text-match>work</C:text-match></C:prop-filter>"#))
            .await,
        hrefs_of(&["meeting.ics"])
    );
    assert_eq!(
        query_hrefs(&server, &prop(r#"<C:prop-filter name="UID"><C:text-match collation="i;octet">lunch</C:text-match></C:prop-filter>"#)).await,
        hrefs_of(&["lunch.ics"])
    );
}

/// RFC 4791 §9.7.3: param-filter on a property's parameter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_7_3_param_filter() {
    let server = TestServer::start().await;
    put_filter_corpus(&server).await;
    let attendee = |inner: &str| {
        format!(
            r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:prop-filter name="ATTENDEE">{inner}</C:prop-filter></C:comp-filter></C:comp-filter>"#
        )
    };
    assert_eq!(
        query_hrefs(&server, &attendee(r#"<C:param-filter name="PARTSTAT"><C:text-match>NEEDS-ACTION</C:text-match></C:param-filter>"#)).await,
        hrefs_of(&["meeting.ics"])
    );
    assert_eq!(
        query_hrefs(&server, &attendee(r#"<C:param-filter name="PARTSTAT"><C:text-match collation="i;ascii-casemap">accepted</C:text-match></C:param-filter>"#))
            .await,
        hrefs_of(&["lunch.ics"])
    );
    assert_eq!(query_hrefs(&server, &attendee(r#"<C:param-filter name="CN"/>"#)).await, hrefs_of(&["meeting.ics"]));
    assert_eq!(
        query_hrefs(&server, &attendee(r#"<C:param-filter name="CN"><C:is-not-defined/></C:param-filter>"#)).await,
        hrefs_of(&["lunch.ics"])
    );
    assert_eq!(
        query_hrefs(&server, &attendee(r#"<C:text-match>mailto:bob@example.org</C:text-match>"#)).await,
        hrefs_of(&["meeting.ics"])
    );
}

/// A weekly series with a hole (EXDATE) and a moved instance (an override
/// with RECURRENCE-ID), beside an unrelated single event.
fn weekly_with_exdate_and_override() -> String {
    vcalendar(&[
        component(
            "VEVENT",
            "weekly-series",
            &[
                "DTSTART:20260105T100000Z",
                "DTEND:20260105T110000Z",
                "RRULE:FREQ=WEEKLY;COUNT=10",
                "EXDATE:20260119T100000Z",
                "SUMMARY:Weekly",
            ],
        ),
        component(
            "VEVENT",
            "weekly-series",
            &["RECURRENCE-ID:20260126T100000Z", "DTSTART:20260128T150000Z", "DTEND:20260128T160000Z", "SUMMARY:Weekly (moved)"],
        ),
    ])
}

/// RFC 4791 §9.9: a recurring event matches a time-range when any of its
/// instances does, taking EXDATE and overrides into account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_9_time_range_on_recurring_events() {
    let server = TestServer::start().await;
    put_ok(&server, &href("weekly.ics"), weekly_with_exdate_and_override()).await;
    put_ok(&server, &href("single.ics"), event("single", &["DTSTART:20260601T100000Z", "DTEND:20260601T110000Z"])).await;
    let hits = |start: &'static str, end: &'static str| {
        let server = &server;
        async move { sorted_hrefs(&report(server, CAL, event_time_range_query(start, end)).await.status(207), &[]) }
    };
    let weekly = hrefs_of(&["weekly.ics"]);
    // The first and the ninth instance.
    assert_eq!(hits("20260105T090000Z", "20260105T120000Z").await, weekly);
    assert_eq!(hits("20260302T000000Z", "20260303T000000Z").await, weekly);
    // The tenth is the last (COUNT=10); the 11th week has nothing.
    assert_eq!(hits("20260309T000000Z", "20260310T000000Z").await, weekly);
    assert!(hits("20260316T000000Z", "20260317T000000Z").await.is_empty());
    // EXDATE'd instance.
    assert!(hits("20260119T000000Z", "20260120T000000Z").await.is_empty());
    // Moved: not at the old time, at the new one.
    assert!(hits("20260126T000000Z", "20260127T000000Z").await.is_empty());
    assert_eq!(hits("20260128T143000Z", "20260128T150100Z").await, weekly);
    // Time-range ends are exclusive at the end, inclusive at the start.
    assert!(hits("20260105T110000Z", "20260105T120000Z").await.is_empty());
    assert!(hits("20260105T090000Z", "20260105T100000Z").await.is_empty());
    // Both.
    assert_eq!(hits("20260101T000000Z", "20270101T000000Z").await, hrefs_of(&["single.ics", "weekly.ics"]));
}

/// RFC 4791 §9.9 for VEVENTs without DTEND: all-day events last the day,
/// timed events without duration are an instant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_9_time_range_on_events_without_end() {
    let server = TestServer::start().await;
    put_ok(&server, &href("day.ics"), event("day", &["DTSTART;VALUE=DATE:20260610"])).await;
    put_ok(&server, &href("instant.ics"), event("instant", &["DTSTART:20260611T100000Z"])).await;
    put_ok(&server, &href("dur.ics"), event("dur", &["DTSTART:20260612T100000Z", "DURATION:PT2H"])).await;
    let hits = |s: &'static str, e: &'static str| {
        let server = &server;
        async move { sorted_hrefs(&report(server, CAL, event_time_range_query(s, e)).await.status(207), &[]) }
    };
    assert_eq!(hits("20260610T200000Z", "20260610T210000Z").await, hrefs_of(&["day.ics"]));
    assert!(!hits("20260611T000000Z", "20260611T010000Z").await.contains(&href("day.ics")), "an all-day event ends at midnight");
    assert_eq!(hits("20260611T095959Z", "20260611T100001Z").await, hrefs_of(&["instant.ics"]));
    assert_eq!(hits("20260612T113000Z", "20260612T120000Z").await, hrefs_of(&["dur.ics"]));
    assert!(hits("20260612T120000Z", "20260612T130000Z").await.is_empty());
}

/// RFC 4791 §9.9's table for VTODO: DTSTART+DUE, DUE only, CREATED only,
/// COMPLETED only, and none of them (always matches).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_9_time_range_on_vtodo() {
    let server = TestServer::start().await;
    put_ok(&server, &href("t-due.ics"), todo("t-due", &["DUE:20260610T120000Z"])).await;
    put_ok(&server, &href("t-start-due.ics"), todo("t-start-due", &["DTSTART:20260601T090000Z", "DUE:20260605T170000Z"])).await;
    put_ok(&server, &href("t-start-duration.ics"), todo("t-start-duration", &["DTSTART:20260620T090000Z", "DURATION:PT1H"])).await;
    put_ok(&server, &href("t-created.ics"), todo("t-created", &["CREATED:20260701T000000Z"])).await;
    put_ok(&server, &href("t-completed.ics"), todo("t-completed", &["COMPLETED:20260515T120000Z", "STATUS:COMPLETED"])).await;
    put_ok(&server, &href("t-none.ics"), todo("t-none", &["SUMMARY:Someday"])).await;
    let hits = |s: &'static str, e: &'static str| {
        let server = &server;
        async move {
            let f = format!(
                r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"><C:time-range start="{s}" end="{e}"/></C:comp-filter></C:comp-filter>"#
            );
            query_hrefs(server, &f).await
        }
    };
    assert_eq!(hits("20260610T000000Z", "20260611T000000Z").await, hrefs_of(&["t-due.ics", "t-none.ics"]));
    assert_eq!(hits("20260603T000000Z", "20260604T000000Z").await, hrefs_of(&["t-start-due.ics", "t-none.ics"]));
    assert_eq!(hits("20260620T093000Z", "20260620T100000Z").await, hrefs_of(&["t-start-duration.ics", "t-none.ics"]));
    assert_eq!(hits("20260801T000000Z", "20260802T000000Z").await, hrefs_of(&["t-created.ics", "t-none.ics"]));
    assert_eq!(hits("20260515T000000Z", "20260516T000000Z").await, hrefs_of(&["t-completed.ics", "t-none.ics"]));
}

/// RFC 4791 §9.6.1: partial retrieval returns only the components and
/// properties asked for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_6_1_calendar_data_partial_retrieval() {
    let server = TestServer::start().await;
    put_ok(
        &server,
        &href("p.ics"),
        event("partial", &["DTSTART:20260601T100000Z", "DTEND:20260601T110000Z", "SUMMARY:Keep me", "DESCRIPTION:Drop me", "LOCATION:Drop me too"]),
    )
    .await;
    let data = r#"<C:calendar-data><C:comp name="VCALENDAR"><C:prop name="VERSION"/><C:comp name="VEVENT"><C:prop name="SUMMARY"/><C:prop name="UID"/><C:prop name="DTSTART"/></C:comp></C:comp></C:calendar-data>"#;
    let r = report(&server, CAL, calendar_query(data, r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter>"#))
        .await
        .status(207);
    let cd = prop_text(&r, Some(&href("p.ics")), "calendar-data").unwrap();
    for want in ["BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", "SUMMARY:Keep me", "UID:partial", "DTSTART:20260601T100000Z", "END:VCALENDAR"] {
        assert!(cd.contains(want), "lacks {want}: {cd}");
    }
    for unwanted in ["DESCRIPTION", "LOCATION", "DTEND", "PRODID", "DTSTAMP"] {
        assert!(!cd.contains(unwanted), "has {unwanted}: {cd}");
    }
}

/// RFC 4791 §9.6.5: `expand` turns a series into its instances in the
/// range, each with a RECURRENCE-ID in UTC and no RRULE/EXDATE; overrides
/// appear at their new time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_6_5_expand() {
    let server = TestServer::start().await;
    put_ok(&server, &href("weekly.ics"), weekly_with_exdate_and_override()).await;
    let data = r#"<C:calendar-data><C:expand start="20260101T000000Z" end="20260201T000000Z"/></C:calendar-data>"#;
    let filter = r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20260101T000000Z" end="20260201T000000Z"/></C:comp-filter></C:comp-filter>"#;
    let r = report(&server, CAL, calendar_query(data, filter)).await.status(207);
    let cd = prop_text(&r, Some(&href("weekly.ics")), "calendar-data").unwrap();
    // Jan 5, 12, (19 excluded), 26 moved to 28.
    for id in ["20260105T100000Z", "20260112T100000Z", "20260126T100000Z"] {
        assert!(cd.contains(&format!("RECURRENCE-ID:{id}")), "lacks instance {id}: {cd}");
    }
    assert!(!cd.contains("RECURRENCE-ID:20260119T100000Z"), "EXDATE'd instance present: {cd}");
    assert!(!cd.contains("RECURRENCE-ID:20260202"), "instance outside the range: {cd}");
    assert!(cd.contains("DTSTART:20260128T150000Z"), "moved instance not at its new time: {cd}");
    assert!(!cd.contains("DTSTART:20260126T100000Z"), "moved instance at its old time: {cd}");
    assert_eq!(cd.matches("BEGIN:VEVENT").count(), 3, "{cd}");
    for gone in ["RRULE", "EXDATE"] {
        assert!(!cd.contains(gone), "{gone} in an expanded answer: {cd}");
    }
}

/// RFC 4791 §9.6.6: `limit-recurrence-set` keeps the master and only the
/// overrides that overlap the range.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_6_6_limit_recurrence_set() {
    let server = TestServer::start().await;
    put_ok(&server, &href("weekly.ics"), weekly_with_exdate_and_override()).await;
    let ask = |start: &str, end: &str| {
        format!(
            r#"<C:calendar-multiget {NS_DECLS}><D:prop><C:calendar-data><C:limit-recurrence-set start="{start}" end="{end}"/></C:calendar-data></D:prop><D:href>{}</D:href></C:calendar-multiget>"#,
            href("weekly.ics")
        )
    };
    let r = report(&server, CAL, ask("20260301T000000Z", "20260401T000000Z")).await.status(207);
    let cd = prop_text(&r, Some(&href("weekly.ics")), "calendar-data").unwrap();
    assert!(cd.contains("RRULE:FREQ=WEEKLY;COUNT=10"), "the master stays: {cd}");
    assert!(!cd.contains("RECURRENCE-ID"), "the January override does not overlap March: {cd}");
    let r = report(&server, CAL, ask("20260128T000000Z", "20260129T000000Z")).await.status(207);
    let cd = prop_text(&r, Some(&href("weekly.ics")), "calendar-data").unwrap();
    assert!(cd.contains("RRULE:FREQ=WEEKLY;COUNT=10") && cd.contains("RECURRENCE-ID:20260126T100000Z"), "{cd}");
}

/// A weekly 09:00 Europe/Berlin series from before the change to summer
/// time (29 March 2026).
fn berlin_weekly_0900() -> String {
    let mut s = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//slotdav tests//EN\r\n");
    s.push_str(VTIMEZONE_BERLIN);
    s.push_str(&component(
        "VEVENT",
        "berlin-weekly",
        &[
            "DTSTART;TZID=Europe/Berlin:20260302T090000",
            "DTEND;TZID=Europe/Berlin:20260302T100000",
            "RRULE:FREQ=WEEKLY;BYDAY=MO",
            "SUMMARY:Montagsrunde",
        ],
    ));
    s.push_str("END:VCALENDAR\r\n");
    s
}

/// RFC 4791 §9.9 with RFC 5545 §3.3.5 form 3: instances of a zoned series
/// keep their local time across DST, so after 29 March 2026 09:00 Berlin
/// is 07:00Z, not 08:00Z.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_9_time_range_across_dst() {
    let server = TestServer::start().await;
    put_ok(&server, &href("berlin.ics"), berlin_weekly_0900()).await;
    let hits = |s: &'static str, e: &'static str| {
        let server = &server;
        async move { sorted_hrefs(&report(server, CAL, event_time_range_query(s, e)).await.status(207), &[]) }
    };
    let berlin = hrefs_of(&["berlin.ics"]);
    // Week after the change: Monday 30 March.
    assert_eq!(hits("20260330T000000Z", "20260406T000000Z").await, berlin);
    assert_eq!(hits("20260330T065900Z", "20260330T070100Z").await, berlin, "09:00 CEST is 07:00Z");
    assert!(hits("20260330T080100Z", "20260330T083000Z").await.is_empty(), "nothing at 08:xxZ after the change");
    // Before the change: 09:00 CET is 08:00Z.
    assert_eq!(hits("20260323T075900Z", "20260323T080100Z").await, berlin);
    assert!(hits("20260323T070000Z", "20260323T075900Z").await.is_empty());

    let data = r#"<C:calendar-data><C:expand start="20260323T000000Z" end="20260331T000000Z"/></C:calendar-data>"#;
    let filter = r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20260323T000000Z" end="20260331T000000Z"/></C:comp-filter></C:comp-filter>"#;
    let r = report(&server, CAL, calendar_query(data, filter)).await.status(207);
    let cd = prop_text(&r, Some(&href("berlin.ics")), "calendar-data").unwrap();
    assert!(cd.contains("RECURRENCE-ID:20260323T080000Z") && cd.contains("DTSTART:20260323T080000Z"), "{cd}");
    assert!(cd.contains("RECURRENCE-ID:20260330T070000Z") && cd.contains("DTSTART:20260330T070000Z"), "{cd}");
    assert!(!cd.contains("DTSTART:20260330T080000Z") && !cd.contains("RECURRENCE-ID:20260330T080000Z"), "{cd}");
    assert!(!cd.contains("RRULE"), "{cd}");
}

/// The time-range index covers open-ended series only up to a horizon; a
/// query beyond it (2031) must still find them, and so must one in 2026.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_horizon_extends_for_open_ended_series() {
    let server = TestServer::start().await;
    put_ok(
        &server,
        &href("forever.ics"),
        event("forever", &["DTSTART:20260105T100000Z", "DTEND:20260105T110000Z", "RRULE:FREQ=WEEKLY", "SUMMARY:Forever"]),
    )
    .await;
    put_ok(&server, &href("once.ics"), event("once", &["DTSTART:20260106T100000Z", "DTEND:20260106T110000Z"])).await;
    let hits = |s: &'static str, e: &'static str| {
        let server = &server;
        async move { sorted_hrefs(&report(server, CAL, event_time_range_query(s, e)).await.status(207), &[]) }
    };
    let forever = hrefs_of(&["forever.ics"]);
    // A Monday in 2031, far beyond any initial horizon.
    assert_eq!(hits("20310602T090000Z", "20310602T120000Z").await, forever);
    // Not on the Tuesday after.
    assert!(hits("20310603T090000Z", "20310603T120000Z").await.is_empty());
    // And still in 2026.
    assert_eq!(hits("20260112T000000Z", "20260113T000000Z").await, forever);
    assert_eq!(hits("20260105T000000Z", "20260107T000000Z").await, hrefs_of(&["forever.ics", "once.ics"]));
    // Even further, with the same answer again (the horizon moved once).
    assert_eq!(hits("20350101T000000Z", "20350108T000000Z").await, forever);
    assert_eq!(hits("20310602T090000Z", "20310602T120000Z").await, forever);
    // Free-busy uses the same index.
    let fb = format!(r#"<C:free-busy-query {NS_DECLS}><C:time-range start="20330103T000000Z" end="20330104T000000Z"/></C:free-busy-query>"#);
    let r = report(&server, CAL, fb).await.status(200);
    r.contains("20330103T100000Z/20330103T110000Z");
}

/// RFC 4791 §7.10: free-busy-query answers one VFREEBUSY in text/calendar;
/// transparent and cancelled events are free, tentative ones
/// BUSY-TENTATIVE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_7_10_free_busy_query() {
    let server = TestServer::start().await;
    put_ok(&server, &href("busy.ics"), event("busy", &["DTSTART:20260601T080000Z", "DTEND:20260601T090000Z"])).await;
    put_ok(&server, &href("tentative.ics"), event("tentative", &["DTSTART:20260601T100000Z", "DTEND:20260601T110000Z", "STATUS:TENTATIVE"])).await;
    put_ok(&server, &href("transparent.ics"), event("transparent", &["DTSTART:20260601T120000Z", "DTEND:20260601T130000Z", "TRANSP:TRANSPARENT"])).await;
    put_ok(&server, &href("cancelled.ics"), event("cancelled", &["DTSTART:20260601T140000Z", "DTEND:20260601T150000Z", "STATUS:CANCELLED"])).await;
    put_ok(&server, &href("outside.ics"), event("outside", &["DTSTART:20260603T080000Z", "DTEND:20260603T090000Z"])).await;
    put_ok(&server, &href("task.ics"), todo("task", &["DTSTART:20260601T160000Z", "DUE:20260601T170000Z"])).await;
    let body = format!(r#"<?xml version="1.0" encoding="utf-8"?><C:free-busy-query {NS_DECLS}><C:time-range start="20260601T000000Z" end="20260602T000000Z"/></C:free-busy-query>"#);
    let r = report(&server, CAL, body).await.status(200);
    assert!(r.header("content-type").unwrap_or("").starts_with("text/calendar"), "{}", r.describe());
    let text = r.text().replace("\r\n ", "");
    for want in ["BEGIN:VCALENDAR", "BEGIN:VFREEBUSY", "DTSTART:20260601T000000Z", "DTEND:20260602T000000Z", "END:VFREEBUSY"] {
        assert!(text.contains(want), "lacks {want}: {text}");
    }
    let busy: Vec<&str> = text.lines().filter(|l| l.starts_with("FREEBUSY")).collect();
    let all = busy.join("\n");
    assert!(all.contains("20260601T080000Z/20260601T090000Z") || all.contains("20260601T080000Z/PT1H"), "{text}");
    let tentative = busy.iter().find(|l| l.contains("FBTYPE=BUSY-TENTATIVE")).unwrap_or_else(|| panic!("{text}"));
    assert!(tentative.contains("20260601T100000Z/"), "{text}");
    let plain = busy.iter().find(|l| l.contains("FBTYPE=BUSY:") || l.starts_with("FREEBUSY:")).unwrap_or_else(|| panic!("{text}"));
    assert!(plain.contains("20260601T080000Z/") && !plain.contains("20260601T100000Z"), "{text}");
    for free in ["20260601T120000Z", "20260601T140000Z", "20260603", "20260601T160000Z"] {
        assert!(!all.contains(free), "{free} reported busy: {text}");
    }
}

/// RFC 4791 §7.10 on the calendar home: slotdav's free-busy code answers
/// for every calendar in a home (`caldav/freebusy.rs`), and RFC 4791 §7
/// allows the reports on ordinary collections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_7_10_free_busy_query_on_the_home() {
    let server = TestServer::start().await;
    mkcalendar(&server, "/dav/calendars/alice/work/").await;
    put_ok(&server, &href("busy.ics"), event("busy", &["DTSTART:20260601T080000Z", "DTEND:20260601T090000Z"])).await;
    put_ok(&server, "/dav/calendars/alice/work/w.ics", event("w", &["DTSTART:20260601T100000Z", "DTEND:20260601T110000Z"])).await;
    let body = format!(r#"<C:free-busy-query {NS_DECLS}><C:time-range start="20260601T000000Z" end="20260602T000000Z"/></C:free-busy-query>"#);
    let r = server.request("REPORT", HOME).as_user(ALICE).depth("1").xml(body).send().await.status(200);
    // Long FREEBUSY lines are folded (RFC 5545 §3.1): unfold before matching.
    let text = r.text().replace("\r\n ", "");
    for period in ["20260601T080000Z/20260601T090000Z", "20260601T100000Z/20260601T110000Z"] {
        assert!(text.contains("BEGIN:VFREEBUSY") && text.contains(period), "{period} missing: {text}");
    }
}

/// RFC 3253 §3.6: a REPORT the resource does not support is 403 with
/// `DAV:supported-report`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc3253_3_6_unsupported_report() {
    let server = TestServer::start().await;
    let body = r#"<?xml version="1.0" encoding="utf-8"?><D:acl-principal-prop-set xmlns:D="DAV:"><D:prop><D:displayname/></D:prop></D:acl-principal-prop-set>"#;
    let r = report(&server, CAL, body).await.status(403);
    r.contains("<D:error").contains("supported-report");
    // A calendar report on a principal.
    let r = server.request("REPORT", PRINCIPAL).as_user(ALICE).depth("0").xml(event_time_range_query("20260101T000000Z", "20260102T000000Z")).send().await;
    assert_eq!(r.code(), 403, "{}", r.describe());
    r.contains("supported-report");
}

/// RFC 4791 §7: "CalDAV servers MUST support [the calendaring reports]
/// on calendar collections and calendar object resources". A
/// calendar-query with Depth 0 on an object answers for that object.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_7_calendar_query_on_a_calendar_object_resource() {
    let server = TestServer::start().await;
    put_ok(&server, &href("a.ics"), event("a", &["DTSTART:20260601T080000Z", "SUMMARY:Private"])).await;
    let hit = event_time_range_query("20260601T000000Z", "20260602T000000Z");
    let r = server.request("REPORT", &href("a.ics")).as_user(ALICE).depth("0").xml(hit).send().await.status(207);
    assert_eq!(r.hrefs(), vec![href("a.ics")]);
    let miss = event_time_range_query("20260701T000000Z", "20260702T000000Z");
    let r = server.request("REPORT", &href("a.ics")).as_user(ALICE).depth("0").xml(miss).send().await.status(207);
    assert!(r.hrefs().is_empty(), "{}", r.text());
    let multiget = format!(r#"<C:calendar-multiget {NS_DECLS}><D:prop><D:getetag/></D:prop><D:href>{}</D:href></C:calendar-multiget>"#, href("a.ics"));
    server.request("REPORT", &href("a.ics")).as_user(ALICE).depth("0").xml(multiget).send().await.status(207);
}

/// RFC 4791 §7 (MAY on ordinary collections): a calendar-query on the
/// home searches every calendar in it, as `caldav/query.rs` implements.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_7_8_calendar_query_on_the_home() {
    let server = TestServer::start().await;
    mkcalendar(&server, "/dav/calendars/alice/work/").await;
    put_ok(&server, &href("a.ics"), event("a", &["DTSTART:20260601T080000Z", "SUMMARY:Private"])).await;
    put_ok(&server, "/dav/calendars/alice/work/b.ics", event("b", &["DTSTART:20260601T090000Z", "SUMMARY:Work"])).await;
    let q = event_time_range_query("20260601T000000Z", "20260602T000000Z");
    let r = server.request("REPORT", HOME).as_user(ALICE).depth("1").xml(q).send().await.status(207);
    assert_eq!(sorted_hrefs(&r, &[]), vec![href("a.ics"), "/dav/calendars/alice/work/b.ics".to_string()]);
}

/// RFC 4791 §9.9 and §7.3: floating times are read in the calendar's
/// `calendar-timezone`, or in the query's `CALDAV:timezone` when given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_7_3_floating_time_in_the_calendar_timezone() {
    let server = TestServer::start().await;
    let cal = "/dav/calendars/alice/berlin/";
    let vcal_berlin = format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//slotdav tests//EN\r\n{VTIMEZONE_BERLIN}END:VCALENDAR\r\n");
    let body = format!(
        r#"<C:mkcalendar {NS_DECLS}><D:set><D:prop><C:calendar-timezone><![CDATA[{vcal_berlin}]]></C:calendar-timezone></D:prop></D:set></C:mkcalendar>"#
    );
    server.request("MKCALENDAR", cal).as_user(ALICE).xml(body).send().await.status(201);
    let obj = format!("{cal}floating.ics");
    put_ok(&server, &obj, fixture("ical/accepted/floating-time.ics")).await;
    // 09:00 floating on 19 June 2026 in Berlin is 07:00Z.
    let q = |s: &str, e: &str| event_time_range_query(s, e);
    let r = report(&server, cal, q("20260619T065900Z", "20260619T070100Z")).await.status(207);
    assert_eq!(r.hrefs(), vec![obj.clone()], "{}", r.text());
    let r = report(&server, cal, q("20260619T085900Z", "20260619T090100Z")).await.status(207);
    assert!(r.hrefs().is_empty(), "{}", r.text());
    // The query's own timezone wins: in UTC it is 09:00Z.
    let utc = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//slotdav tests//EN\r\nBEGIN:VTIMEZONE\r\nTZID:UTC\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n";
    let body = format!(
        r#"<C:calendar-query {NS_DECLS}><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20260619T085900Z" end="20260619T090100Z"/></C:comp-filter></C:comp-filter></C:filter><C:timezone><![CDATA[{utc}]]></C:timezone></C:calendar-query>"#
    );
    let r = report(&server, cal, body).await.status(207);
    assert_eq!(r.hrefs(), vec![obj.clone()], "{}", r.text());
    // Free-busy places it in the calendar's zone too.
    let fb = format!(r#"<C:free-busy-query {NS_DECLS}><C:time-range start="20260619T000000Z" end="20260620T000000Z"/></C:free-busy-query>"#);
    report(&server, cal, fb).await.status(200).contains("20260619T070000Z/20260619T080000Z");
    // An all-day event is placed from the index's dates (the object is not
    // read) at midnight in the calendar's zone: 22:00Z in Berlin's summer.
    put_ok(&server, &format!("{cal}day.ics"), event("day", &["DTSTART;VALUE=DATE:20260622", "DTEND;VALUE=DATE:20260624"])).await;
    let fb = format!(r#"<C:free-busy-query {NS_DECLS}><C:time-range start="20260620T000000Z" end="20260630T000000Z"/></C:free-busy-query>"#);
    let text = report(&server, cal, fb).await.status(200).text().replace("\r\n ", "");
    assert!(text.contains("20260621T220000Z/20260623T220000Z"), "{text}");
    assert!(!text.contains("20260622T000000Z/"), "not at midnight UTC: {text}");
}

/// RFC 4791 §7.10 and RFC 5545 §3.8.2.7: an all-day event without TRANSP
/// is busy for the whole day; an all-day TRANSPARENT one is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_7_10_free_busy_all_day_events() {
    let server = TestServer::start().await;
    put_ok(&server, &href("holiday.ics"), event("holiday", &["DTSTART;VALUE=DATE:20260602", "DTEND;VALUE=DATE:20260603", "SUMMARY:Urlaub"])).await;
    put_ok(&server, &href("all-day-date.ics"), fixture("ical/accepted/all-day-date.ics")).await;
    let fb = format!(r#"<C:free-busy-query {NS_DECLS}><C:time-range start="20260601T000000Z" end="20260620T000000Z"/></C:free-busy-query>"#);
    let r = report(&server, CAL, fb).await.status(200);
    let text = r.text().replace("\r\n ", "");
    assert!(text.contains("20260602T000000Z/20260603T000000Z") || text.contains("20260602T000000Z/P1D"), "{text}");
    assert!(!text.contains("20260618T"), "the transparent all-day event is free: {text}");
}

/// RFC 4791 §9.6.5 for an override that moves an instance into the range
/// from outside it, and one that moves it out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_9_6_5_expand_with_overrides_moving_across_the_range() {
    let server = TestServer::start().await;
    put_ok(&server, &href("override.ics"), fixture("ical/accepted/recurrence-id-override.ics")).await;
    // Daily 10:00 Berlin (08:00Z) 1–5 June; the 3rd moved to 15:00 (13:00Z).
    let data = r#"<C:calendar-data><C:expand start="20260603T120000Z" end="20260603T140000Z"/></C:calendar-data>"#;
    let filter = r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20260603T120000Z" end="20260603T140000Z"/></C:comp-filter></C:comp-filter>"#;
    let r = report(&server, CAL, calendar_query(data, filter)).await.status(207);
    let cd = prop_text(&r, Some(&href("override.ics")), "calendar-data").unwrap_or_else(|| panic!("{}", r.text()));
    assert!(cd.contains("RECURRENCE-ID:20260603T080000Z") && cd.contains("DTSTART:20260603T130000Z"), "{cd}");
    assert!(cd.contains("SUMMARY:Daily (moved)"), "{cd}");
    assert_eq!(cd.matches("BEGIN:VEVENT").count(), 1, "{cd}");
    assert!(!cd.contains("VTIMEZONE"), "expanded data is in UTC and needs no VTIMEZONE: {cd}");
    // At the old time of the moved instance there is nothing.
    let r = report(&server, CAL, event_time_range_query("20260603T073000Z", "20260603T083000Z")).await.status(207);
    assert!(r.hrefs().is_empty(), "{}", r.text());
}

/// A calendar-query the time-range index decides is answered from the
/// index (each object's etag is filed beside its occurrences) and the
/// stored bytes: the answer is, byte for byte, what a calendar-multiget of
/// the same objects says, also after an object changed, and a VTODO in
/// the range is not mistaken for an event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_calendar_query_answered_from_the_index_says_what_a_multiget_says() {
    let server = TestServer::start().await;
    put_ok(&server, &href("a%20b.ics"), event("q-ab", &["DTSTART:20260601T100000Z", "SUMMARY:Fish & chips <late>"])).await;
    put_ok(&server, &href("c.ics"), event("q-c", &["DTSTART:20260601T120000Z", "RRULE:FREQ=DAILY;COUNT=3"])).await;
    put_ok(&server, &href("todo.ics"), todo("q-todo", &["DTSTART:20260601T090000Z", "DUE:20260601T110000Z"])).await;
    let filter = r#"<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20260601T000000Z" end="20260602T000000Z"/></C:comp-filter></C:comp-filter>"#;
    let same = |query: String| async {
        let q = report(&server, CAL, query).await.status(207);
        let hrefs = q.hrefs();
        assert_eq!(hrefs, vec![href("a%20b.ics"), href("c.ics")], "{}", q.text());
        let multiget = format!(
            r#"<C:calendar-multiget {NS_DECLS}><D:prop><D:getetag/><C:calendar-data/></D:prop>{}</C:calendar-multiget>"#,
            hrefs.iter().map(|h| format!("<D:href>{h}</D:href>")).collect::<String>()
        );
        let m = report(&server, CAL, multiget).await.status(207);
        assert_eq!(q.text(), m.text());
    };
    same(calendar_query("<C:calendar-data/>", filter)).await;
    put_ok(&server, &href("c.ics"), event("q-c", &["DTSTART:20260601T130000Z", "SUMMARY:moved"])).await;
    same(calendar_query("<C:calendar-data/>", filter)).await;
}
