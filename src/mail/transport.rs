//! Sending a formatted message: SMTP ([`super::smtp`]) or `.eml` files
//! (owner-only: a directory 0700, files 0600, since they hold manage links).

use std::path::PathBuf;

use lettre::address::Envelope;
use lettre::{AsyncFileTransport, AsyncTransport, Tokio1Executor};

use super::config::{MailConfig, MailTransport};
use super::smtp::SmtpServer;

/// Why a send did not work, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Try again later: SMTP 4xx, connection refused, timeouts, I/O.
    Temporary(String),
    /// Trying again will not help: SMTP 5xx, a message the server rejects.
    Permanent(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Temporary(m) => write!(f, "temporary failure: {m}"),
            SendError::Permanent(m) => write!(f, "permanent failure: {m}"),
        }
    }
}

/// A configured way out.
#[derive(Clone)]
pub enum Transport {
    Smtp { server: SmtpServer, timeout: std::time::Duration },
    File { dir: PathBuf, transport: AsyncFileTransport<Tokio1Executor> },
}

impl Transport {
    /// The transport of a configuration; `data_dir` anchors a relative
    /// `file_dir`.
    pub fn from_config(config: &MailConfig, data_dir: &std::path::Path) -> Result<Transport, String> {
        match config.transport {
            MailTransport::File => {
                let dir = config.file_dir_in(data_dir);
                Ok(Transport::File { transport: AsyncFileTransport::new(&dir), dir })
            }
            MailTransport::Smtp => Ok(Transport::Smtp { server: SmtpServer::from_config(config)?, timeout: config.smtp_timeout }),
        }
    }

    /// Ends what [`Transport::send`] kept open for the next message (the
    /// SMTP session); the outbox calls it when a run is done.
    pub async fn close_idle(&self) {
        if let Transport::Smtp { server, .. } = self {
            server.close_idle().await;
        }
    }

    /// Sends one formatted message to the envelope's recipients.
    pub async fn send(&self, envelope: &Envelope, bytes: &[u8]) -> Result<(), SendError> {
        match self {
            Transport::File { dir, transport } => {
                let private_dir = dir.clone();
                tokio::task::spawn_blocking(move || crate::storage::files::create_private_dir(&private_dir))
                    .await
                    .map_err(|e| SendError::Temporary(e.to_string()))?
                    .map_err(|e| SendError::Temporary(format!("cannot create {}: {e}", dir.display())))?;
                let id = transport.send_raw(envelope, bytes).await.map_err(|e| SendError::Temporary(e.to_string()))?;
                let file = dir.join(format!("{id}.eml"));
                crate::storage::files::make_private(&file)
                    .map_err(|e| SendError::Temporary(format!("cannot restrict {}: {e}", file.display())))
            }
            Transport::Smtp { server, timeout } => {
                // The whole exchange is bounded (a server may answer each
                // command just in time, forever).
                let whole = *timeout * 4;
                match tokio::time::timeout(whole, server.send(envelope, bytes)).await {
                    Err(_) => Err(SendError::Temporary(format!("no answer from the SMTP server within {whole:?}"))),
                    Ok(result) => result,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::config::MailConfig;

    #[tokio::test]
    async fn file_transport_writes_eml_files() {
        let data = tempfile::tempdir().unwrap();
        let config = MailConfig::default();
        let transport = Transport::from_config(&config, data.path()).unwrap();
        let from: lettre::Address = "bookings@example.org".parse().unwrap();
        let to: lettre::Address = "ben@example.org".parse().unwrap();
        let envelope = Envelope::new(Some(from), vec![to]).unwrap();
        let message = b"From: bookings@example.org\r\nTo: ben@example.org\r\nSubject: hi\r\n\r\nhello\r\n";
        transport.send(&envelope, message).await.unwrap();
        transport.send(&envelope, message).await.unwrap();
        let dir = data.path().join("mail-out");
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(files.len(), 2, "{files:?}");
        for f in files {
            assert_eq!(f.extension().and_then(|e| e.to_str()), Some("eml"));
            assert_eq!(std::fs::read(&f).unwrap(), message);
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
