//! `[[webhook]]` blocks: where booking events are POSTed, signed with
//! which secret, which events, for which coach. `config` reads the TOML
//! into [`RawWebhook`] and calls [`WebhookConfig::from_raw`]; the errors
//! name the field.

use std::time::Duration;

use serde::Deserialize;

/// The event names a webhook may subscribe to. `waitlist.*` are reserved
/// for the waitlists of issue 14: accepted, never sent yet.
pub const EVENT_NAMES: &[&str] = &[
    "booking.created",
    "booking.confirmed",
    "booking.rescheduled",
    "booking.cancelled",
    "booking.declined",
    "booking.no_show",
    "booking.attended",
    "waitlist.offered",
    "waitlist.claimed",
];

/// `max_attempts` when absent.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;

/// One `[[webhook]]` block as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebhook {
    pub url: String,
    pub secret: String,
    pub events: Vec<String>,
    pub coach: Option<String>,
    pub max_attempts: Option<u32>,
    /// Per request, e.g. "10s".
    pub timeout: Option<String>,
    /// Before the second attempt; doubled each time up to an hour.
    pub retry_backoff: Option<String>,
}

/// One validated webhook. Its `Debug` output leaves the secret out.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    pub url: String,
    pub secret: String,
    pub events: Vec<String>,
    /// Only this coach's (user name) bookings, when set.
    pub coach: Option<String>,
    pub max_attempts: u32,
    pub timeout: Duration,
    pub retry_backoff: Duration,
    pub retry_backoff_max: Duration,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url)
            .field("secret", &"<hidden>")
            .field("events", &self.events)
            .field("coach", &self.coach)
            .field("max_attempts", &self.max_attempts)
            .field("timeout", &self.timeout)
            .field("retry_backoff", &self.retry_backoff)
            .finish()
    }
}

impl WebhookConfig {
    /// Checks one block; the error names the field (`url`, `events`, …).
    pub fn from_raw(raw: RawWebhook, parse_duration: impl Fn(&str) -> Result<Duration, String>) -> Result<WebhookConfig, (&'static str, String)> {
        let url = raw.url.trim().to_string();
        let parsed: hyper::Uri = url.parse().map_err(|_| ("url", format!("`{url}` is not a URL")))?;
        if !matches!(parsed.scheme_str(), Some("http") | Some("https")) || parsed.host().is_none_or(str::is_empty) {
            return Err(("url", format!("`{url}` must be an http:// or https:// URL with a host")));
        }
        if raw.secret.len() < 16 {
            return Err(("secret", "must be at least 16 characters (a random string shared with the receiver)".into()));
        }
        if raw.events.is_empty() {
            return Err(("events", format!("name at least one of {}", EVENT_NAMES.join(", "))));
        }
        for e in &raw.events {
            if !EVENT_NAMES.contains(&e.as_str()) {
                return Err(("events", format!("`{e}` is not an event (use {})", EVENT_NAMES.join(", "))));
            }
        }
        let max_attempts = raw.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS);
        if !(1..=100).contains(&max_attempts) {
            return Err(("max_attempts", "must be between 1 and 100".into()));
        }
        let dur = |key: &'static str, v: &Option<String>, default: Duration| -> Result<Duration, (&'static str, String)> {
            match v {
                None => Ok(default),
                Some(t) => match parse_duration(t) {
                    Ok(d) if !d.is_zero() => Ok(d),
                    Ok(_) => Err((key, "must be longer than zero".into())),
                    Err(e) => Err((key, e)),
                },
            }
        };
        let timeout = dur("timeout", &raw.timeout, Duration::from_secs(10))?;
        if timeout > Duration::from_secs(120) {
            return Err(("timeout", "must be at most 2m".into()));
        }
        Ok(WebhookConfig {
            url,
            secret: raw.secret,
            events: raw.events,
            coach: raw.coach,
            max_attempts,
            timeout,
            retry_backoff: dur("retry_backoff", &raw.retry_backoff, Duration::from_secs(30))?,
            retry_backoff_max: Duration::from_secs(3600),
        })
    }

    /// Whether this webhook wants `event` about a booking of `coach`.
    pub fn wants(&self, event: &str, coach: &str) -> bool {
        self.events.iter().any(|e| e == event) && self.coach.as_deref().is_none_or(|c| c == coach)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(url: &str) -> RawWebhook {
        RawWebhook {
            url: url.into(),
            secret: "s3cret-s3cret-s3cret".into(),
            events: vec!["booking.created".into()],
            coach: None,
            max_attempts: None,
            timeout: None,
            retry_backoff: None,
        }
    }

    fn secs(t: &str) -> Result<Duration, String> {
        t.strip_suffix('s').and_then(|n| n.parse().ok()).map(Duration::from_secs).ok_or_else(|| format!("bad {t}"))
    }

    #[test]
    fn the_secret_stays_out_of_debug_output() {
        let hook = WebhookConfig::from_raw(raw("https://x.example/h"), secs).unwrap();
        let text = format!("{hook:?}");
        assert!(!text.contains("s3cret") && text.contains("<hidden>") && text.contains("https://x.example/h"), "{text}");
    }

    #[test]
    fn only_http_and_https_urls_with_a_host() {
        assert!(WebhookConfig::from_raw(raw("http://127.0.0.1:9/x"), secs).is_ok());
        for bad in ["ftp://x.example/", "https://", "/relative", "not a url", "file:///etc/passwd"] {
            assert_eq!(WebhookConfig::from_raw(raw(bad), secs).unwrap_err().0, "url", "{bad}");
        }
        let mut slow = raw("https://x.example/");
        slow.timeout = Some("600s".into());
        assert_eq!(WebhookConfig::from_raw(slow, secs).unwrap_err().0, "timeout");
    }
}
