//! Issue 12, the pages a newcomer sees first: the front page at `/`
//! (`site_name`, the coaches who chose `listed = true`, a link to
//! `/connect`), the connect page with the CalDAV URL for each app, and the
//! Apple configuration profile behind Basic auth. Other methods on `/`
//! stay DAV discovery.

use std::path::Path;

use slotdav::config::Config;

use crate::common::*;

const COACHES: &str = "site_name = \"Music & Co\"\n\
[[coach]]\nuser = \"alice\"\ndisplay_name = \"Alice <Piano>\"\nlisted = true\n\
[[coach.event_type]]\nslug = \"lesson\"\ntitle = \"Lesson\"\nduration = \"30m\"\n\
[[coach]]\nuser = \"bob\"\nslug = \"bob-private\"\ndisplay_name = \"Bob Unlisted\"\n\
[[coach.event_type]]\nslug = \"lesson\"\ntitle = \"Lesson\"\nduration = \"30m\"\n";

async fn start() -> TestServer {
    let parsed = Config::parse(COACHES, Path::new("test.toml")).unwrap();
    TestServer::builder()
        .config(move |c| {
            c.coaches = parsed.coaches;
            c.site_name = parsed.site_name;
        })
        .start()
        .await
}

#[tokio::test]
async fn the_front_page_names_the_site_and_lists_only_listed_coaches() {
    let server = start().await;
    let page = server.request("GET", "/").send().await.status(200);
    assert!(page.header("content-type").is_some_and(|t| t.starts_with("text/html")), "{}", page.describe());
    let page = page
        .contains("<h1>Music &#38; Co</h1>")
        .contains("href=\"/book/alice\"")
        .contains("Alice &#60;Piano&#62;")
        .contains("href=\"/connect\"")
        .lacks("Bob Unlisted")
        .lacks("bob-private");
    assert!(!page.text().contains("<Piano>"), "the display name is escaped");
    server.request("HEAD", "/").send().await.status(200);

    // Unlisted coaches still have their page; only the front page leaves them out.
    server.request("GET", "/book/bob-private").send().await.status(200).contains("Bob Unlisted");
}

#[tokio::test]
async fn the_front_page_with_no_listed_coach_says_so() {
    let server = TestServer::start().await;
    server.request("GET", "/").send().await.status(200).contains("<h1>slotdav</h1>").contains("No one offers public booking");
}

#[tokio::test]
async fn other_methods_on_the_root_are_still_dav_discovery() {
    let server = start().await;
    server.request("PROPFIND", "/").depth("0").send().await.status(401);
    server.request("PROPFIND", "/").as_user(ALICE).depth("0").xml(PROPFIND_ALLPROP).send().await.status(207);
    let options = server.request("OPTIONS", "/").as_user(ALICE).send().await;
    assert!(options.header("dav").is_some_and(|d| d.contains("calendar-access")), "{}", options.describe());
}

#[tokio::test]
async fn the_connect_page_gives_the_caldav_url_for_each_app() {
    let server = start().await;
    let dav_url = format!("{}/dav/", server.app.config.public_url);
    let page = server.request("GET", "/connect").send().await.status(200);
    page.contains(&dav_url)
        .contains("Apple Calendar")
        .contains("Thunderbird")
        .contains("DAVx")
        .contains("CalDAV Synchronizer")
        .contains("href=\"/connect/apple.mobileconfig\"");
    server.request("HEAD", "/connect").send().await.status(200);
    server.request("POST", "/connect").body("x").send().await.status(405);
}

#[tokio::test]
async fn the_apple_profile_needs_credentials_and_holds_no_password() {
    let server = start().await;
    let path = "/connect/apple.mobileconfig";
    let denied = server.request("GET", path).send().await.status(401);
    assert!(denied.header("www-authenticate").is_some_and(|h| h.starts_with("Basic")), "{}", denied.describe());
    server.request("GET", path).basic(ALICE, "wrong-password").send().await.status(401);

    let profile = server.request("GET", path).as_user(ALICE).send().await.status(200);
    assert_eq!(profile.header("content-type"), Some("application/x-apple-aspen-config"));
    let principal = format!("{}/dav/principals/alice/", server.app.config.public_url);
    let profile = profile
        .contains("<string>com.apple.caldav.account</string>")
        .contains("<key>CalDAVUsername</key>")
        .contains(&principal)
        .contains("Music &#38; Co") // askama writes & as a character reference
        .lacks(ALICE_PW);
    assert!(!profile.text().to_ascii_lowercase().contains("password"), "{}", profile.text());

    // The same profile (same UUIDs) each time, so installing again replaces it.
    let again = server.request("GET", path).as_user(ALICE).send().await.status(200);
    assert_eq!(again.text(), profile.text());
    let bob = server.request("GET", path).as_user(BOB).send().await.status(200);
    assert_ne!(bob.text(), profile.text());
    server.request("PUT", path).as_user(ALICE).body("x").send().await.status(405);
}

#[tokio::test]
async fn a_signed_in_user_sees_their_own_feed_links_only() {
    let server = start().await;
    let path = "/connect/feeds";
    server.request("GET", path).send().await.status(401);
    // Both are coaches here, so their homes and calendars exist from the start.
    server.request("GET", path).as_user(ALICE).send().await.status(200).contains("You have not published a calendar");
    server.request("GET", path).as_user(BOB).send().await.status(200);
    let now = chrono::Utc::now();
    let alice = slotdav::feeds::create(&*server.storage, ALICE, "calendar", now).unwrap();
    let bob = slotdav::feeds::create(&*server.storage, BOB, "calendar", now).unwrap();

    let page = server.request("GET", path).as_user(ALICE).send().await.status(200);
    let url = format!("{}/feeds/{}.ics", server.app.config.public_url, alice.token);
    assert_eq!(page.header("cache-control"), Some("private, no-store"));
    page.contains(&url).contains(&format!("webcal://{}", url.split_once("://").unwrap().1)).lacks(&bob.token);
    server.request("GET", "/connect").send().await.status(200).contains("href=\"/connect/feeds\"");
}
