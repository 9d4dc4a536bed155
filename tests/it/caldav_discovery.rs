//! Discovery: from a server URL to the principal, the calendar home and
//! the calendars (RFC 6764, RFC 5397, RFC 4791 §6, RFC 3744 §5).

use super::*;

/// RFC 5397 §3: `DAV:current-user-principal` wherever a client starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc5397_current_user_principal_from_root_dav_and_home() {
    let server = TestServer::start().await;
    for start in ["/", "/dav/", "/dav/principals/", HOME, CAL] {
        let r = propfind(&server, start, "0", propfind_props(&["D:current-user-principal"])).await.status(207);
        let href = r.hrefs().into_iter().next().unwrap_or_else(|| panic!("no response: {}", r.describe()));
        assert_eq!(r.prop_status(&href, "current-user-principal"), Some(200), "{}", r.describe());
        let value = prop_text(&r, None, "current-user-principal").unwrap();
        assert_eq!(split_elements(&value, "href"), vec![PRINCIPAL.to_string()], "from {start}: {}", r.text());
    }
}

/// RFC 6764 §5: `/.well-known/caldav` redirects to the DAV root, keeping
/// the method, and the root leads on to the principal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc6764_5_well_known_caldav_leads_to_the_principal() {
    let server = TestServer::start().await;
    for method in ["GET", "PROPFIND"] {
        let r = server.request(method, "/.well-known/caldav").as_user(ALICE).send().await;
        assert!(matches!(r.code(), 301 | 302 | 307 | 308), "{}", r.describe());
        let location = r.header("location").expect("Location").to_string();
        assert!(location.ends_with("/dav/"), "{}", r.describe());
    }
    // Following the redirect as a client does, with the PROPFIND body kept.
    let r = propfind(&server, "/dav/", "0", propfind_props(&["D:current-user-principal", "D:principal-URL"])).await.status(207);
    r.contains(&format!("<D:href>{PRINCIPAL}</D:href>"));
}

/// RFC 4791 §6.2.1, §6.3, RFC 3744 §4.2, §5.1, §5.4, RFC 6638 §2.4.1: the
/// principal tells where the calendars are and who the user is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_6_principal_properties() {
    let server = TestServer::builder().user_with_email("carol", "carol-secret-pw", "carol@example.org").start().await;
    let principal = "/dav/principals/carol/";
    let body = propfind_props(&[
        "D:resourcetype",
        "D:displayname",
        "D:principal-URL",
        "D:owner",
        "D:current-user-principal",
        "D:current-user-privilege-set",
        "C:calendar-home-set",
        "C:calendar-user-address-set",
        "D:supported-report-set",
    ]);
    let r = server.request("PROPFIND", principal).as_user("carol").depth("0").xml(body).send().await.status(207);
    assert_eq!(r.hrefs(), vec![principal.to_string()]);
    for p in ["resourcetype", "principal-URL", "owner", "calendar-home-set", "calendar-user-address-set", "current-user-privilege-set", "supported-report-set"] {
        assert_eq!(r.prop_status(principal, p), Some(200), "{p}: {}", r.text());
    }
    let href_of = |local: &str| split_elements(&prop_text(&r, Some(principal), local).unwrap(), "href");
    assert_eq!(href_of("principal-URL"), vec![principal.to_string()]);
    assert_eq!(href_of("owner"), vec![principal.to_string()]);
    assert_eq!(href_of("current-user-principal"), vec![principal.to_string()]);
    assert_eq!(href_of("calendar-home-set"), vec!["/dav/calendars/carol/".to_string()]);
    assert!(href_of("calendar-user-address-set").contains(&"mailto:carol@example.org".to_string()), "{}", r.text());
    r.contains("<D:principal/>").contains("<D:read/>");
}

/// A user without an email still has a calendar-user-address-set (the
/// principal URL), never a `mailto:` of someone else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_6_2_1_address_set_without_email() {
    let server = TestServer::start().await;
    let r = propfind(&server, PRINCIPAL, "0", propfind_props(&["C:calendar-user-address-set"])).await.status(207);
    assert_eq!(r.prop_status(PRINCIPAL, "calendar-user-address-set"), Some(200));
    r.lacks("mailto:");
}

/// RFC 3253 §3.1.5, RFC 3744 §5.4, RFC 4918 §14.17: every collection a
/// client walks says which reports it supports, what the user may do and
/// whose it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc3253_3_1_5_supported_report_set_on_every_collection() {
    let server = TestServer::start().await;
    server.http.mkcol(ALICE, "/dav/calendars/alice/plain/").await;
    mkcalendar(&server, "/dav/calendars/alice/work/").await;
    let body = propfind_props(&["D:supported-report-set", "D:current-user-privilege-set", "D:owner", "D:resourcetype"]);
    let r = propfind(&server, HOME, "1", body.clone()).await.status(207);
    let hrefs = sorted_hrefs(&r, &[]);
    assert_eq!(hrefs, vec![HOME, CAL, "/dav/calendars/alice/plain/", "/dav/calendars/alice/work/"]);
    for href in &hrefs {
        for p in ["supported-report-set", "current-user-privilege-set", "owner"] {
            assert_eq!(r.prop_status(href, p), Some(200), "{href} {p}: {}", r.text());
        }
    }
    for cal in [CAL, "/dav/calendars/alice/work/"] {
        let set = prop_text(&r, Some(cal), "supported-report-set").unwrap();
        for report in ["C:calendar-query", "C:calendar-multiget", "C:free-busy-query", "D:sync-collection"] {
            assert!(set.contains(&format!("<{report}/>")), "{cal} lacks {report}: {set}");
        }
        let privs = prop_text(&r, Some(cal), "current-user-privilege-set").unwrap();
        for p in ["D:read", "D:write", "D:write-content", "D:bind", "D:unbind"] {
            assert!(privs.contains(&format!("<{p}/>")), "{cal} lacks {p}: {privs}");
        }
    }
    let home_set = prop_text(&r, Some(HOME), "supported-report-set").unwrap();
    assert!(home_set.contains("<D:sync-collection/>"), "{home_set}");
    // The virtual collections above the homes too.
    for path in ["/dav/", "/dav/principals/", PRINCIPAL, "/dav/calendars/"] {
        let r = propfind(&server, path, "0", body.clone()).await.status(207);
        assert_eq!(r.prop_status(path, "supported-report-set"), Some(200), "{path}: {}", r.text());
        assert_eq!(r.prop_status(path, "current-user-privilege-set"), Some(200), "{path}: {}", r.text());
    }
}

/// RFC 4791 §5.2.1, §5.2.3: a Depth 1 PROPFIND on the home lists the
/// calendars with what a client needs to show them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_4_2_home_lists_calendars_with_their_kind() {
    let server = TestServer::start().await;
    let r = propfind(&server, HOME, "1", propfind_props(&["D:resourcetype", "D:displayname", "C:supported-calendar-component-set"]))
        .await
        .status(207);
    let rt = prop_text(&r, Some(CAL), "resourcetype").unwrap();
    assert!(rt.contains("<D:collection/>") && rt.contains("<C:calendar/>"), "{rt}");
    let home_rt = prop_text(&r, Some(HOME), "resourcetype").unwrap();
    assert!(!home_rt.contains("calendar"), "the home is not a calendar: {home_rt}");
    assert_eq!(r.prop_status(HOME, "supported-calendar-component-set"), Some(404), "{}", r.text());
    let comps = prop_text(&r, Some(CAL), "supported-calendar-component-set").unwrap();
    assert!(comps.contains(r#"name="VEVENT""#) && comps.contains(r#"name="VTODO""#), "{comps}");
}

/// RFC 4791 §7: servers "MUST advertise support for these reports on all
/// calendar collections and calendar object resources".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4791_7_supported_report_set_on_calendar_objects() {
    let server = TestServer::start().await;
    let obj = format!("{CAL}a.ics");
    put_ok(&server, &obj, event("srs-a", &["DTSTART:20260601T080000Z"])).await;
    let r = propfind(&server, &obj, "0", propfind_props(&["D:supported-report-set"])).await.status(207);
    let set = prop_text(&r, Some(&obj), "supported-report-set").unwrap_or_default();
    for report in ["C:calendar-query", "C:calendar-multiget"] {
        assert!(set.contains(&format!("<{report}/>")), "{obj} lacks {report}: {set}");
    }
}
