//! The `[mail]` section: [`RawMail`] as written, [`MailConfig`] validated.

use std::net::IpAddr;
use std::path::PathBuf;

use chrono::Duration;
use lettre::message::Mailbox;
use serde::Deserialize;

use crate::booking::policy::parse_duration;

/// `[mail]` as written. Durations are strings like "30s", "1h".
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawMail {
    pub transport: Option<String>,
    pub file_dir: Option<PathBuf>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    pub smtp_tls: Option<String>,
    pub smtp_user: Option<String>,
    pub smtp_password: Option<String>,
    pub smtp_timeout: Option<String>,
    pub from: Option<String>,
    pub retry_max_attempts: Option<u32>,
    pub retry_backoff: Option<String>,
    pub retry_backoff_max: Option<String>,
    pub worker_interval: Option<String>,
    pub max_attendees: Option<u32>,
    pub max_messages_per_user_hour: Option<u32>,
}

/// Where messages go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailTransport {
    /// `.eml` files in [`MailConfig::file_dir`] (the default: works without
    /// a mail server).
    File,
    Smtp,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text; only allowed for a loopback host.
    None,
    /// Plain connection upgraded with STARTTLS (required, not opportunistic).
    StartTls,
    /// TLS from the first byte ("implicit TLS", usually port 465).
    Tls,
}

/// The validated `[mail]` section.
#[derive(Clone)]
pub struct MailConfig {
    pub transport: MailTransport,
    /// Where the file transport writes; relative paths are below `data_dir`
    /// (see [`MailConfig::file_dir_in`]).
    pub file_dir: PathBuf,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTls,
    /// Empty: no authentication.
    pub smtp_user: String,
    pub smtp_password: String,
    /// Longest wait for the SMTP server per command (and for one whole send).
    pub smtp_timeout: std::time::Duration,
    /// The sender of every message; replies go to the coach (Reply-To).
    pub from: Mailbox,
    /// A message that failed temporarily this many times is given up on.
    pub retry_max_attempts: u32,
    /// Wait before the first retry; doubles with every further attempt …
    pub retry_backoff: Duration,
    /// … up to this.
    pub retry_backoff_max: Duration,
    /// How often the outbox worker looks for due messages (it is also woken
    /// at once by every booking change).
    pub worker_interval: std::time::Duration,
    /// Most ATTENDEEs one instance of a calendar object may have; a PUT
    /// with more is refused (`CALDAV:max-attendees-per-instance`, RFC 4791
    /// §5.3.2.1), so one write cannot invite the world.
    pub max_attendees: u32,
    /// Most invitations and cancellations (implicit scheduling, RFC 6638)
    /// one user's writes may queue per clock hour; beyond it they are not
    /// sent (the write is stored, a warning is logged).
    pub max_messages_per_user_hour: u32,
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("transport", &self.transport)
            .field("file_dir", &self.file_dir)
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("smtp_tls", &self.smtp_tls)
            .field("smtp_user", &self.smtp_user)
            .field("smtp_password", &if self.smtp_password.is_empty() { "" } else { "<redacted>" })
            .field("smtp_timeout", &self.smtp_timeout)
            .field("from", &self.from.to_string())
            .field("retry_max_attempts", &self.retry_max_attempts)
            .field("retry_backoff", &self.retry_backoff)
            .field("retry_backoff_max", &self.retry_backoff_max)
            .field("worker_interval", &self.worker_interval)
            .field("max_attendees", &self.max_attendees)
            .field("max_messages_per_user_hour", &self.max_messages_per_user_hour)
            .finish()
    }
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig::from_raw(RawMail::default()).expect("embedded mail defaults are valid")
    }
}

/// True for `localhost` and loopback addresses, where plain SMTP is allowed.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl MailConfig {
    /// Validates the section. The error is `(key, message)`, the key
    /// without the `mail.` prefix.
    pub fn from_raw(raw: RawMail) -> Result<MailConfig, (&'static str, String)> {
        let transport = match raw.transport.as_deref().unwrap_or("file") {
            "file" => MailTransport::File,
            "smtp" => MailTransport::Smtp,
            other => return Err(("transport", format!("`{other}` is neither \"file\" nor \"smtp\""))),
        };
        let smtp_tls = match raw.smtp_tls.as_deref().unwrap_or("none") {
            "none" => SmtpTls::None,
            "starttls" => SmtpTls::StartTls,
            "tls" => SmtpTls::Tls,
            other => return Err(("smtp_tls", format!("`{other}` is not one of \"none\", \"starttls\", \"tls\""))),
        };
        let smtp_host = raw.smtp_host.unwrap_or_else(|| "127.0.0.1".into());
        if smtp_host.is_empty() || smtp_host.chars().any(|c| c.is_whitespace() || c.is_control() || c == '/') {
            return Err(("smtp_host", format!("`{smtp_host}` is not a host name or address")));
        }
        if smtp_tls == SmtpTls::None && !is_loopback_host(&smtp_host) {
            return Err((
                "smtp_tls",
                format!("\"none\" (plain text) is only allowed for a loopback smtp_host, not `{smtp_host}`; use \"starttls\" or \"tls\""),
            ));
        }
        let smtp_port = raw.smtp_port.unwrap_or(2525);
        if smtp_port == 0 {
            return Err(("smtp_port", "must be a port number 1-65535".into()));
        }
        let smtp_user = raw.smtp_user.unwrap_or_default();
        let smtp_password = raw.smtp_password.unwrap_or_default();
        if smtp_user.is_empty() && !smtp_password.is_empty() {
            return Err(("smtp_user", "a password is set but no user".into()));
        }
        let from_text = raw.from.unwrap_or_else(|| "slotdav <bookings@example.org>".into());
        let from: Mailbox = if from_text.chars().any(|c| c.is_control()) {
            None
        } else {
            from_text.parse().ok()
        }
        .ok_or_else(|| ("from", format!("`{}` is not an address like \"slotdav <bookings@example.org>\"", from_text.escape_debug())))?;
        let dur = |key: &'static str, v: Option<String>, default: &str| -> Result<Duration, (&'static str, String)> {
            let text = v.unwrap_or_else(|| default.to_string());
            let d = parse_duration(&text).map_err(|e| (key, e.to_string()))?;
            if d <= Duration::zero() {
                return Err((key, "must be greater than zero".into()));
            }
            Ok(d)
        };
        let smtp_timeout = dur("smtp_timeout", raw.smtp_timeout, "30s")?;
        let retry_backoff = dur("retry_backoff", raw.retry_backoff, "1m")?;
        let retry_backoff_max = dur("retry_backoff_max", raw.retry_backoff_max, "1h")?;
        if retry_backoff_max < retry_backoff {
            return Err(("retry_backoff_max", "must not be shorter than retry_backoff".into()));
        }
        let worker_interval = dur("worker_interval", raw.worker_interval, "5s")?;
        let retry_max_attempts = raw.retry_max_attempts.unwrap_or(10);
        if retry_max_attempts == 0 {
            return Err(("retry_max_attempts", "must be at least 1".into()));
        }
        let max_attendees = raw.max_attendees.unwrap_or(100);
        if max_attendees == 0 {
            return Err(("max_attendees", "must be at least 1".into()));
        }
        let max_messages_per_user_hour = raw.max_messages_per_user_hour.unwrap_or(300);
        if max_messages_per_user_hour == 0 {
            return Err(("max_messages_per_user_hour", "must be at least 1".into()));
        }
        Ok(MailConfig {
            transport,
            file_dir: raw.file_dir.unwrap_or_else(|| PathBuf::from("mail-out")),
            smtp_host,
            smtp_port,
            smtp_tls,
            smtp_user,
            smtp_password,
            smtp_timeout: smtp_timeout.to_std().unwrap_or(std::time::Duration::from_secs(30)),
            from,
            retry_max_attempts,
            retry_backoff,
            retry_backoff_max,
            worker_interval: worker_interval.to_std().unwrap_or(std::time::Duration::from_secs(5)),
            max_attendees,
            max_messages_per_user_hour,
        })
    }

    /// The file transport's folder for a data directory.
    pub fn file_dir_in(&self, data_dir: &std::path::Path) -> PathBuf {
        data_dir.join(&self.file_dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_file_transport_on_loopback() {
        let c = MailConfig::default();
        assert_eq!(c.transport, MailTransport::File);
        assert_eq!(c.smtp_port, 2525);
        assert_eq!(c.smtp_tls, SmtpTls::None);
        assert_eq!(c.from.email.to_string(), "bookings@example.org");
    }

    #[test]
    fn plain_smtp_only_for_loopback() {
        let raw = RawMail { smtp_host: Some("mail.example.org".into()), ..Default::default() };
        assert_eq!(MailConfig::from_raw(raw).unwrap_err().0, "smtp_tls");
        let raw = RawMail { smtp_host: Some("mail.example.org".into()), smtp_tls: Some("starttls".into()), ..Default::default() };
        assert!(MailConfig::from_raw(raw).is_ok());
        for h in ["localhost", "127.0.0.2", "::1", "[::1]"] {
            assert!(is_loopback_host(h), "{h}");
        }
        assert!(!is_loopback_host("10.0.0.1"));
    }

    #[test]
    fn bad_values_name_their_key() {
        let raw = RawMail { from: Some("x\r\nBcc: y@z.org".into()), ..Default::default() };
        assert_eq!(MailConfig::from_raw(raw).unwrap_err().0, "from");
        let raw = RawMail { transport: Some("pigeon".into()), ..Default::default() };
        assert_eq!(MailConfig::from_raw(raw).unwrap_err().0, "transport");
        let raw = RawMail { retry_backoff: Some("soon".into()), ..Default::default() };
        assert_eq!(MailConfig::from_raw(raw).unwrap_err().0, "retry_backoff");
        let raw = RawMail { smtp_password: Some("pw".into()), ..Default::default() };
        assert_eq!(MailConfig::from_raw(raw).unwrap_err().0, "smtp_user");
        let raw = RawMail { max_attendees: Some(0), ..Default::default() };
        assert_eq!(MailConfig::from_raw(raw).unwrap_err().0, "max_attendees");
        let raw = RawMail { max_messages_per_user_hour: Some(0), ..Default::default() };
        assert_eq!(MailConfig::from_raw(raw).unwrap_err().0, "max_messages_per_user_hour");
    }

    #[test]
    fn password_is_not_in_debug_output() {
        let raw = RawMail { smtp_user: Some("u".into()), smtp_password: Some("hunter2".into()), ..Default::default() };
        let c = MailConfig::from_raw(raw).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}

#[cfg(test)]
mod example_tests {
    use super::*;

    #[test]
    fn example_file_states_the_mail_defaults() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.toml")).unwrap();
        let example = crate::config::Config::parse(&text, std::path::Path::new("config.example.toml")).unwrap().mail;
        let defaults = MailConfig::default();
        assert_eq!(format!("{example:?}"), format!("{defaults:?}"));
    }

    #[test]
    fn bad_mail_key_is_named_with_its_line() {
        let text = "realm = \"x\"\n[mail]\nsmtp_host = \"mail.example.org\"\nsmtp_tls = \"none\"\n";
        let err = crate::config::Config::parse(text, std::path::Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("mail.smtp_tls") && err.contains("line 4"), "{err}");
        let err = crate::config::Config::parse("[mail]\nsmpt_host = \"x\"\n", std::path::Path::new("x.toml")).unwrap_err().to_string();
        assert!(err.contains("smpt_host"), "{err}");
    }
}
