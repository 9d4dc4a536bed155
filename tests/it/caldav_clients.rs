//! What real clients send, replayed from `fixtures/clients/`: Thunderbird
//! 153 (recorded traffic, URLs rewritten to our layout), Apple Calendar and
//! DAVx5 (bodies written after their documented behaviour). Each test
//! checks what that client needs from the answer.

use super::*;

/// Where the recorded Thunderbird session had its calendar.
const TB_RECORDED_CALENDAR: &str = "/test/tb-scratch-328ade80/";

/// A Thunderbird fixture with the recorded calendar URL moved to ours.
fn thunderbird(name: &str) -> String {
    fixture_text(&format!("clients/thunderbird/{name}")).replace(TB_RECORDED_CALENDAR, CAL)
}

fn sync_token_of(r: &Resp) -> String {
    let text = r.text();
    let after = text.rfind("</D:response>").map(|i| &text[i..]).unwrap_or(&text);
    split_elements(after, "sync-token").into_iter().next().unwrap_or_else(|| panic!("no sync-token: {text}")).trim().to_string()
}

/// Thunderbird 153's calendar session, request by request: the calendar
/// PROPFIND, initial sync, incremental sync, multiget, creating an event
/// with its long VTIMEZONE, modifying with If-Match, adding an occurrence
/// exception, and deleting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thunderbird_153_session_replayed() {
    let server = TestServer::start().await;

    // OPTIONS on the parent: Thunderbird looks for calendar-access.
    let r = server.request("OPTIONS", HOME).as_user(ALICE).send().await.status(200);
    assert!(r.header("dav").unwrap_or("").contains("calendar-access"), "{}", r.describe());

    // Without credentials first (as recorded): 401 with a Basic challenge.
    let r = server.request("PROPFIND", CAL).depth("0").xml(thunderbird("propfind-calendar-props.xml")).send().await.status(401);
    assert!(r.header("www-authenticate").unwrap_or("").starts_with("Basic"), "{}", r.describe());

    // The calendar PROPFIND: it must be a calendar with a ctag, and the
    // user must be allowed to write.
    let r = server
        .request("PROPFIND", CAL)
        .as_user(ALICE)
        .depth("0")
        .header("Content-Type", "text/xml; charset=utf-8")
        .body(thunderbird("propfind-calendar-props.xml"))
        .send()
        .await
        .status(207);
    for p in ["resourcetype", "owner", "current-user-principal", "current-user-privilege-set", "supported-report-set", "supported-calendar-component-set", "getctag"] {
        assert_eq!(r.prop_status(CAL, p), Some(200), "{p}: {}", r.text());
    }
    let r = r.contains("<C:calendar/>").contains("<D:write/>").contains("<D:sync-collection/>").contains(r#"name="VEVENT""#);
    assert_eq!(split_elements(&prop_text(&r, Some(CAL), "current-user-principal").unwrap(), "href"), vec![PRINCIPAL]);

    // Initial sync of the empty calendar.
    let r = report(&server, CAL, thunderbird("report-sync-initial.xml")).await.status(207);
    assert!(r.hrefs().is_empty(), "{}", r.text());
    let t0 = sync_token_of(&r);

    // Another client adds what the recorded server held.
    let names = ["tbh-allday-9bfbe2de.ics", "tbh-utf8-9bfbe2de.ics", "tbh-weekly-9bfbe2de.ics"];
    let files = ["server-allday-transparent.ics", "server-utf8-summary.ics", "server-weekly-exdate.ics"];
    let mut etags = Vec::new();
    for (name, file) in names.iter().zip(files) {
        etags.push(put_ok(&server, &format!("{CAL}{name}"), fixture(&format!("clients/thunderbird/{file}"))).await);
    }

    // The recorded incremental sync carries the other server's token:
    // refused, which makes Thunderbird start over.
    let r = report(&server, CAL, thunderbird("report-sync-incremental.xml")).await;
    assert_eq!(r.code(), 403, "{}", r.describe());
    r.contains("valid-sync-token");
    // With our token it lists the three, with content type and ETag.
    let recorded_token = "http://radicale.org/ns/sync/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let incremental = thunderbird("report-sync-incremental.xml").replace(recorded_token, &t0);
    let r = report(&server, CAL, incremental.clone()).await.status(207);
    let hrefs: Vec<String> = names.iter().map(|n| format!("{CAL}{n}")).collect();
    let mut sorted = hrefs.clone();
    sorted.sort();
    assert_eq!(sorted_hrefs(&r, &[]), sorted);
    for (href, etag) in hrefs.iter().zip(&etags) {
        assert_eq!(prop_text(&r, Some(href), "getetag").unwrap(), *etag);
        assert!(prop_text(&r, Some(href), "getcontenttype").unwrap().starts_with("text/calendar"), "{}", r.text());
    }
    let t1 = sync_token_of(&r);

    // The multiget, in the recorded order; calendar-data verbatim.
    let r = report(&server, CAL, thunderbird("report-multiget.xml")).await.status(207);
    assert_eq!(sorted_hrefs(&r, &[]), sorted);
    for (name, file) in names.iter().zip(files) {
        let data = prop_text(&r, Some(&format!("{CAL}{name}")), "calendar-data").unwrap();
        assert_eq!(data.as_bytes(), fixture(&format!("clients/thunderbird/{file}")).as_slice(), "{name}");
    }

    // Creating an event with Thunderbird's full Europe/Berlin VTIMEZONE.
    let created = format!("{CAL}tbh-created-9bfbe2de.ics");
    let create = || {
        server
            .request("PUT", &created)
            .as_user(ALICE)
            .header("Content-Type", "text/calendar; charset=utf-8")
            .header("If-None-Match", "*")
            .body(fixture("clients/thunderbird/put-create-with-vtimezone.ics"))
    };
    let created_etag = create().send().await.status(201).etag();
    create().send().await.status(412);
    assert_eq!(server.http.get(ALICE, &created).await.as_ref(), fixture("clients/thunderbird/put-create-with-vtimezone.ics").as_slice());
    // 09:00 Berlin on 15 March 2027 is 08:00Z.
    let r = report(&server, CAL, event_time_range_query("20270315T080000Z", "20270315T081500Z")).await.status(207);
    assert_eq!(r.hrefs(), vec![created.clone()], "{}", r.text());

    // Modifying with If-Match; a stale ETag is refused.
    let utf8 = format!("{CAL}tbh-utf8-9bfbe2de.ics");
    let modify = |etag: &str| {
        server
            .request("PUT", &utf8)
            .as_user(ALICE)
            .header("Content-Type", "text/calendar; charset=utf-8")
            .header("If-Match", etag)
            .body(fixture("clients/thunderbird/put-modify-if-match.ics"))
    };
    modify(&etags[1]).send().await.status(204);
    modify(&etags[1]).send().await.status(412);

    // The occurrence exception: the series keeps its EXDATE, and 22 March
    // moves from 10:00 to 14:00 Berlin (09:00Z to 13:00Z).
    let weekly = format!("{CAL}tbh-weekly-9bfbe2de.ics");
    server
        .request("PUT", &weekly)
        .as_user(ALICE)
        .header("Content-Type", "text/calendar; charset=utf-8")
        .header("If-Match", &etags[2])
        .body(fixture("clients/thunderbird/put-weekly-with-exception.ics"))
        .send()
        .await
        .status(204);
    let at = |s: &'static str, e: &'static str| {
        let server = &server;
        async move { report(server, CAL, event_time_range_query(s, e)).await.status(207).hrefs() }
    };
    assert_eq!(at("20270322T130000Z", "20270322T131500Z").await, vec![weekly.clone()], "the moved occurrence");
    assert!(at("20270322T090000Z", "20270322T091500Z").await.is_empty(), "the old time of the moved occurrence");
    // (The event created above is at 08:00Z-09:30Z that day; the series is not.)
    assert!(!at("20270315T090000Z", "20270315T091500Z").await.contains(&weekly), "the EXDATE");
    assert_eq!(at("20270308T090000Z", "20270308T091500Z").await, vec![weekly.clone()]);

    // Deleting with If-Match (Thunderbird accepts 200 or 204).
    let allday = format!("{CAL}tbh-allday-9bfbe2de.ics");
    server.request("DELETE", &allday).as_user(ALICE).header("If-Match", "\"stale\"").send().await.status(412);
    server.request("DELETE", &allday).as_user(ALICE).header("If-Match", &etags[0]).send().await.status_in(&[200, 204]);

    // The next refresh sees all of it.
    let r = report(&server, CAL, incremental.replace(&t0, &t1)).await.status(207);
    let mut want = vec![allday.clone(), created.clone(), utf8.clone(), weekly.clone()];
    want.sort();
    assert_eq!(sorted_hrefs(&r, &[]), want, "{}", r.text());
    let allday_resp = split_elements(&r.text(), "response").into_iter().find(|x| x.contains("tbh-allday")).unwrap();
    assert!(allday_resp.contains(" 404 ") && !allday_resp.contains("propstat"), "{allday_resp}");
    assert_eq!(prop_text(&r, Some(&created), "getetag").unwrap(), created_etag);
}

/// Apple Calendar's account setup: the principal PROPFIND across four
/// namespaces. It needs calendar-home-set and an address set; what slotdav
/// does not have (schedule inbox, dropbox, notifications) must come back
/// in a 404 propstat, never as an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apple_calendar_principal_propfind() {
    let server = TestServer::builder().user_with_email("carol", "carol-secret-pw", "carol@example.org").start().await;
    let principal = "/dav/principals/carol/";
    let r = server
        .request("PROPFIND", principal)
        .as_user("carol")
        .depth("0")
        .header("Content-Type", "text/xml")
        .body(fixture("clients/apple/propfind-principal.xml"))
        .send()
        .await
        .status(207);
    assert_eq!(r.hrefs(), vec![principal]);
    for p in ["calendar-home-set", "calendar-user-address-set", "current-user-principal", "displayname", "principal-URL", "principal-collection-set", "supported-report-set"] {
        assert_eq!(r.prop_status(principal, p), Some(200), "{p}: {}", r.text());
    }
    for p in ["dropbox-home-URL", "notification-URL", "resource-id"] {
        assert_eq!(r.prop_status(principal, p), Some(404), "{p}: {}", r.text());
    }
    assert_eq!(split_elements(&prop_text(&r, Some(principal), "calendar-home-set").unwrap(), "href"), vec!["/dav/calendars/carol/"]);
    // RFC 6638: the scheduling outbox Apple asks for.
    assert_eq!(split_elements(&prop_text(&r, Some(principal), "schedule-outbox-URL").unwrap(), "href"), vec!["/dav/principals/carol/outbox/"]);
    let addresses = split_elements(&prop_text(&r, Some(principal), "calendar-user-address-set").unwrap(), "href");
    assert!(addresses.contains(&"mailto:carol@example.org".to_string()), "{addresses:?}");
    // Unknown names keep their namespace in the answer.
    r.contains("http://calendarserver.org/ns/");
}

/// Apple Calendar's Depth 1 PROPFIND on the home: it shows calendars by
/// resourcetype, colour, order and component set, polls getctag, and
/// asks for a long list of Apple and calendarserver extras that must only
/// be 404s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apple_calendar_home_propfind_and_ctag_polling() {
    let server = TestServer::start().await;
    let color = format!(
        r#"<D:propertyupdate {NS_DECLS}><D:set><D:prop><ICAL:calendar-color>#1BADF8FF</ICAL:calendar-color><ICAL:calendar-order>1</ICAL:calendar-order></D:prop></D:set></D:propertyupdate>"#
    );
    server.request("PROPPATCH", CAL).as_user(ALICE).xml(color).send().await.status(207);
    let home = || propfind(&server, HOME, "1", fixture("clients/apple/propfind-home-depth1.xml"));
    let r = home().await.status(207);
    assert_eq!(sorted_hrefs(&r, &[]), vec![HOME, CAL]);
    for p in ["getctag", "calendar-color", "calendar-order", "supported-calendar-component-set", "current-user-privilege-set", "resourcetype", "sync-token", "displayname", "owner"] {
        assert_eq!(r.prop_status(CAL, p), Some(200), "{p}: {}", r.text());
    }
    for p in ["bulk-requests", "pushkey", "push-transports", "invite", "allowed-sharing-modes", "autoprovisioned", "subscribed-strip-alarms"] {
        assert_eq!(r.prop_status(CAL, p), Some(404), "{p}: {}", r.text());
    }
    assert!(prop_text(&r, Some(CAL), "resourcetype").unwrap().contains("<C:calendar/>"));
    assert_eq!(prop_text(&r, Some(CAL), "calendar-color").unwrap(), "#1BADF8FF");
    assert_eq!(prop_text(&r, Some(CAL), "calendar-order").unwrap(), "1");
    let privs = prop_text(&r, Some(CAL), "current-user-privilege-set").unwrap();
    assert!(privs.contains("<D:write/>") || privs.contains("<D:all/>"), "Apple marks calendars without write read-only: {privs}");
    // The me.com namespace Apple asks in gets declared in the answer.
    let r = r.contains("http://me.com/_namespace/");
    let ctag0 = prop_text(&r, Some(CAL), "getctag").unwrap();

    // Polling: the ctag alone, before and after a change.
    let poll = || propfind(&server, CAL, "0", fixture("clients/apple/propfind-calendar-ctag.xml"));
    let r = poll().await.status(207);
    assert_eq!(prop_text(&r, Some(CAL), "getctag").unwrap(), ctag0);
    let event = format!("{CAL}6F2A0B8E-8C37-4E5B-9D0A-3D7C1B1E2F40.ics");
    let etag = put_ok(&server, &event, fixture("clients/apple/put-event-with-alarm.ics")).await;
    let r = poll().await.status(207);
    assert_ne!(prop_text(&r, Some(CAL), "getctag").unwrap(), ctag0);

    // On a changed ctag Apple syncs, then fetches what changed.
    let r = report(&server, CAL, fixture("clients/apple/report-sync-collection.xml")).await.status(207);
    assert_eq!(r.hrefs(), vec![event.clone()]);
    assert_eq!(prop_text(&r, Some(&event), "getetag").unwrap(), etag);
    let r = report(&server, CAL, fixture("clients/apple/report-multiget.xml")).await.status(207);
    let data = prop_text(&r, Some(&event), "calendar-data").unwrap();
    assert_eq!(data.as_bytes(), fixture("clients/apple/put-event-with-alarm.ics").as_slice());
    assert_eq!(r.prop_status(&event, "schedule-changes"), Some(404), "{}", r.text());
    let missing = split_elements(&r.text(), "response").into_iter().find(|x| x.contains("never-existed")).unwrap();
    assert!(missing.contains("404"), "{missing}");
}

/// DAVx5's service detection and sync: current-user-principal from the
/// server root, the home sets from the principal, the collection list
/// with what it stores per calendar (max-resource-size, component set,
/// timezone, source, ctag, sync-token), then sync-collection with getetag
/// and a multiget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn davx5_service_detection_and_sync() {
    let server = TestServer::start().await;

    let r = propfind(&server, "/", "0", fixture("clients/davx5/propfind-current-user-principal.xml")).await.status(207);
    assert_eq!(split_elements(&prop_text(&r, None, "current-user-principal").unwrap(), "href"), vec![PRINCIPAL]);

    let r = propfind(&server, PRINCIPAL, "0", fixture("clients/davx5/propfind-principal-homesets.xml")).await.status(207);
    assert_eq!(split_elements(&prop_text(&r, Some(PRINCIPAL), "calendar-home-set").unwrap(), "href"), vec![HOME]);
    assert_eq!(r.prop_status(PRINCIPAL, "calendar-user-address-set"), Some(200), "{}", r.text());

    let r = propfind(&server, HOME, "1", fixture("clients/davx5/propfind-home-collections.xml")).await.status(207);
    for p in ["resourcetype", "displayname", "current-user-privilege-set", "max-resource-size", "supported-calendar-component-set", "getctag", "sync-token"] {
        assert_eq!(r.prop_status(CAL, p), Some(200), "{p}: {}", r.text());
    }
    // Not set, or not a subscription: 404 propstats.
    for p in ["source", "calendar-timezone", "calendar-color"] {
        assert_eq!(r.prop_status(CAL, p), Some(404), "{p}: {}", r.text());
    }
    let max: u64 = prop_text(&r, Some(CAL), "max-resource-size").unwrap().trim().parse().unwrap();
    assert!(max >= 100_000, "DAVx5 skips events larger than this: {max}");

    // jtx Board's task, created with If-None-Match.
    let task = format!("{CAL}3c8d1f2e-7a4b-4e0f-9b6d-5a2c1e8f0d37.ics");
    let etag = server
        .request("PUT", &task)
        .as_user(ALICE)
        .header("Content-Type", "text/calendar; charset=utf-8")
        .header("If-None-Match", "*")
        .body(fixture("clients/davx5/put-task-from-jtx.ics"))
        .send()
        .await
        .status(201)
        .etag();

    let r = report(&server, CAL, fixture("clients/davx5/report-sync-collection.xml")).await.status(207);
    assert_eq!(r.hrefs(), vec![task.clone()]);
    assert_eq!(prop_text(&r, Some(&task), "getetag").unwrap(), etag);
    let token = sync_token_of(&r);

    let r = report(&server, CAL, fixture("clients/davx5/report-multiget.xml")).await.status(207);
    assert_eq!(prop_text(&r, Some(&task), "calendar-data").unwrap().as_bytes(), fixture("clients/davx5/put-task-from-jtx.ics").as_slice());

    // Nothing new: an empty delta. Then a change elsewhere in the calendar.
    let incremental = fixture_text("clients/davx5/report-sync-collection.xml").replace("<sync-token />", &format!("<sync-token>{token}</sync-token>"));
    let r = report(&server, CAL, incremental.clone()).await.status(207);
    assert!(r.hrefs().is_empty(), "{}", r.text());
    let other = format!("{CAL}other.ics");
    put_ok(&server, &other, event("davx5-other", &["DTSTART:20270101T100000Z"])).await;
    let r = report(&server, CAL, incremental).await.status(207);
    assert_eq!(r.hrefs(), vec![other]);
}
