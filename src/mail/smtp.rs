//! SMTP sessions on TCP connections with Nagle's algorithm off: lettre's
//! [`AsyncSmtpConnection`] speaks the protocol (greeting, EHLO, STARTTLS,
//! AUTH, MAIL/RCPT/DATA), this module opens the connection it speaks over
//! and keeps it for the next message until [`SmtpServer::close_idle`] (the
//! outbox calls it at the end of each run, so a backlog goes down one
//! session and no connection idles between runs). A kept connection is
//! asked `NOOP` before it is used again; one that fails a message is
//! closed.
//!
//! Why not lettre's own transport: it connects with Nagle on, and it
//! writes a message's body and its end marker (`CRLF.CRLF`) as two writes.
//! Nagle holds the five-byte marker until the body is acknowledged, and
//! the SMTP server (Postfix and the test sink alike) delays that ACK by
//! 40 ms on Linux, so every message cost 40 ms of waiting: the worker sent
//! at most 22 messages a second however fast the server was (measured
//! against the sink: 44 ms between messages; lettre/lettre#1159).
//!
//! Implicit TLS (`smtp_tls = "tls"`, port 465) wraps the connection in
//! rustls (ring, the webpki roots, as lettre's own TLS would); STARTTLS is
//! lettre's upgrade of the same connection.
//!
//! Imports lettre, rustls and tokio; of slotdav's only the mail config
//! and `transport::SendError`.

use std::sync::Arc;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::net::TcpStream;

use super::config::{MailConfig, SmtpTls};
use super::transport::SendError;

/// Mechanisms offered for AUTH, in order of preference (lettre's default).
const MECHANISMS: [Mechanism; 2] = [Mechanism::Plain, Mechanism::Login];

/// The configured SMTP server and how to talk to it.
#[derive(Clone)]
pub struct SmtpServer {
    host: String,
    port: u16,
    timeout: Duration,
    security: Security,
    credentials: Option<Credentials>,
    hello: ClientId,
    /// The session the last message went down, kept for the next one.
    idle: Arc<tokio::sync::Mutex<Option<AsyncSmtpConnection>>>,
}

#[derive(Clone)]
enum Security {
    Plain,
    StartTls(TlsParameters),
    Implicit { connector: tokio_rustls::TlsConnector, name: rustls::pki_types::ServerName<'static> },
}

impl SmtpServer {
    pub fn from_config(config: &MailConfig) -> Result<SmtpServer, String> {
        let host = config.smtp_host.trim_start_matches('[').trim_end_matches(']').to_string();
        let security = match config.smtp_tls {
            SmtpTls::None => Security::Plain,
            SmtpTls::StartTls => Security::StartTls(TlsParameters::new(host.clone()).map_err(|e| format!("TLS setup: {e}"))?),
            SmtpTls::Tls => {
                let name = rustls::pki_types::ServerName::try_from(host.clone()).map_err(|e| format!("TLS setup: `{host}`: {e}"))?;
                Security::Implicit { connector: tokio_rustls::TlsConnector::from(Arc::new(client_config()?)), name }
            }
        };
        let credentials = (!config.smtp_user.is_empty()).then(|| Credentials::new(config.smtp_user.clone(), config.smtp_password.clone()));
        Ok(SmtpServer {
            host,
            port: config.smtp_port,
            timeout: config.smtp_timeout,
            security,
            credentials,
            hello: ClientId::default(),
            idle: Default::default(),
        })
    }

    /// Sends one message: down the kept session if it still answers, else
    /// a new one (connect, hello, TLS and AUTH as configured). The caller
    /// bounds the whole exchange in time (cut off, the session is dropped).
    pub async fn send(&self, envelope: &Envelope, bytes: &[u8]) -> Result<(), SendError> {
        let kept = self.idle.lock().await.take();
        let mut conn = match kept {
            Some(mut conn) => {
                // A server gone without closing would keep NOOP waiting:
                // no longer than for any answer, then a new session.
                if tokio::time::timeout(self.timeout, conn.test_connected()).await.unwrap_or(false) {
                    conn
                } else {
                    // Dropped, not QUIT: it may answer nothing.
                    drop(conn);
                    self.connect().await?
                }
            }
            None => self.connect().await?,
        };
        match conn.send(envelope, bytes).await {
            Ok(_) => {
                *self.idle.lock().await = Some(conn);
                Ok(())
            }
            Err(e) => {
                let _ = tokio::time::timeout(self.timeout, conn.abort()).await;
                Err(classify(&e))
            }
        }
    }

    /// Ends the kept session, if any, with QUIT.
    pub async fn close_idle(&self) {
        let kept = self.idle.lock().await.take();
        if let Some(mut conn) = kept {
            let _ = tokio::time::timeout(self.timeout, conn.quit()).await;
        }
    }

    /// The TCP connection, Nagle off.
    async fn tcp(&self) -> Result<TcpStream, SendError> {
        let tcp = tokio::time::timeout(self.timeout, TcpStream::connect((self.host.as_str(), self.port)))
            .await
            .map_err(|_| SendError::Temporary(format!("no connection to {}:{} within {:?}", self.host, self.port, self.timeout)))?
            .map_err(|e| SendError::Temporary(format!("cannot connect to {}:{}: {e}", self.host, self.port)))?;
        tcp.set_nodelay(true).map_err(|e| SendError::Temporary(format!("TCP_NODELAY: {e}")))?;
        Ok(tcp)
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let tcp = self.tcp().await?;
        let stream: Box<dyn AsyncTokioStream> = match &self.security {
            Security::Implicit { connector, name } => {
                let tls = connector.connect(name.clone(), tcp).await.map_err(|e| SendError::Temporary(format!("TLS with {}: {e}", self.host)))?;
                Box::new(ImplicitTls(tls))
            }
            _ => Box::new(tcp),
        };
        let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &self.hello).await.map_err(|e| classify(&e))?;
        if let Security::StartTls(parameters) = &self.security {
            conn.starttls(parameters.clone(), &self.hello).await.map_err(|e| classify(&e))?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(&MECHANISMS, credentials).await.map_err(|e| classify(&e))?;
        }
        Ok(conn)
    }
}

/// rustls on ring with the webpki roots, TLS 1.2 and 1.3.
fn client_config() -> Result<rustls::ClientConfig, String> {
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// A TLS connection as the stream lettre speaks over.
#[derive(Debug)]
struct ImplicitTls(tokio_rustls::client::TlsStream<TcpStream>);

impl AsyncTokioStream for ImplicitTls {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

impl tokio::io::AsyncRead for ImplicitTls {
    fn poll_read(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>, buf: &mut tokio::io::ReadBuf<'_>) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for ImplicitTls {
    fn poll_write(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>, buf: &[u8]) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// Permanent: a 5xx answer, or a message/address lettre itself refuses.
/// Everything else (4xx, refused or dropped connections, timeouts, TLS
/// trouble) may pass later.
fn classify(e: &lettre::transport::smtp::Error) -> SendError {
    let text = e.to_string();
    if e.is_permanent() || e.is_client() {
        SendError::Permanent(text)
    } else {
        SendError::Temporary(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    /// What a [`responder`] saw.
    #[derive(Default)]
    struct Seen {
        connections: std::sync::atomic::AtomicUsize,
        messages: std::sync::atomic::AtomicUsize,
        quits: std::sync::atomic::AtomicUsize,
    }

    /// What a [`responder`] does to a session after some messages.
    #[derive(Clone, Copy)]
    enum After {
        Nothing,
        /// Closes the connection after this many messages.
        HangUp(usize),
        /// Keeps the connection open but answers nothing more.
        FallSilent(usize),
    }

    /// An SMTP server on loopback without extensions: 250 to each command,
    /// 354 to DATA and 250 after the message; then as `after` says.
    async fn responder(after: After) -> (u16, Arc<Seen>) {
        use std::sync::atomic::Ordering::SeqCst;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Seen::default());
        let counts = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counts.connections.fetch_add(1, SeqCst);
                let counts = counts.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 responder.test\r\n").await;
                    let (mut in_data, mut here) = (false, 0);
                    while let Ok(Some(line)) = lines.next_line().await {
                        if matches!(after, After::FallSilent(n) if here >= n) {
                            continue;
                        }
                        let reply: &[u8] = if in_data {
                            if line != "." {
                                continue;
                            }
                            in_data = false;
                            counts.messages.fetch_add(1, SeqCst);
                            here += 1;
                            b"250 queued\r\n"
                        } else if line.eq_ignore_ascii_case("DATA") {
                            in_data = true;
                            b"354 go ahead\r\n"
                        } else if line.to_ascii_uppercase().starts_with("QUIT") {
                            counts.quits.fetch_add(1, SeqCst);
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            b"250 ok\r\n"
                        };
                        if write.write_all(reply).await.is_err() {
                            return;
                        }
                        if matches!(after, After::HangUp(n) if here >= n) {
                            return;
                        }
                    }
                });
            }
        });
        (port, seen)
    }

    /// A server that offers STARTTLS (when `implicit` is false: greets,
    /// offers it in EHLO, says 220 to it) and hands back the first bytes
    /// the client sends where TLS must begin.
    async fn tls_listener(implicit: bool) -> (u16, tokio::sync::oneshot::Receiver<Vec<u8>>) {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            if !implicit {
                let mut reader = BufReader::new(&mut stream);
                reader.get_mut().write_all(b"220 tls.test\r\n").await.unwrap();
                let mut line = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).await.unwrap() == 0 {
                        return;
                    }
                    let upper = line.to_ascii_uppercase();
                    if upper.starts_with("EHLO") {
                        reader.get_mut().write_all(b"250-tls.test\r\n250 STARTTLS\r\n").await.unwrap();
                    } else if upper.starts_with("STARTTLS") {
                        reader.get_mut().write_all(b"220 go ahead\r\n").await.unwrap();
                        break;
                    } else {
                        reader.get_mut().write_all(b"503 TLS first\r\n").await.unwrap();
                    }
                }
            }
            let mut hello = vec![0; 512];
            let n = stream.read(&mut hello).await.unwrap();
            hello.truncate(n);
            let _ = tx.send(hello);
        });
        (port, rx)
    }

    /// A TLS handshake record (0x16) that names the server (SNI).
    fn is_client_hello_for(bytes: &[u8], host: &str) -> bool {
        bytes.first() == Some(&0x16) && bytes.windows(host.len()).any(|w| w == host.as_bytes())
    }

    /// The first bytes a send configured with `tls` writes where TLS must
    /// begin ([`tls_listener`]).
    async fn first_tls_bytes(tls: &'static str) -> Vec<u8> {
        let (port, hello) = tls_listener(tls == "tls").await;
        let send = tokio::spawn(async move { server(port, tls).send(&envelope(), b"x\r\n").await });
        let hello = tokio::time::timeout(Duration::from_secs(10), hello).await.expect("the client started TLS").unwrap();
        send.abort();
        hello
    }

    #[tokio::test]
    async fn implicit_tls_begins_with_a_client_hello_naming_the_host() {
        let hello = first_tls_bytes("tls").await;
        assert!(is_client_hello_for(&hello, "localhost"), "{hello:?}");
    }

    #[tokio::test]
    async fn starttls_upgrades_the_connection_after_the_servers_220() {
        let hello = first_tls_bytes("starttls").await;
        assert!(is_client_hello_for(&hello, "localhost"), "{hello:?}");
    }

    fn server(port: u16, tls: &str) -> SmtpServer {
        let config = MailConfig {
            smtp_host: "localhost".into(),
            smtp_port: port,
            smtp_tls: match tls {
                "tls" => SmtpTls::Tls,
                "starttls" => SmtpTls::StartTls,
                _ => SmtpTls::None,
            },
            ..MailConfig::default()
        };
        SmtpServer::from_config(&config).unwrap()
    }

    fn envelope() -> Envelope {
        Envelope::new(Some("bookings@example.org".parse().unwrap()), vec!["ben@example.org".parse().unwrap()]).unwrap()
    }

    /// Nagle off: the end marker of a message leaves at once instead of
    /// waiting 40 ms for the server's delayed ACK of the body.
    #[tokio::test]
    async fn connections_have_nagle_off() {
        let (port, _) = responder(After::Nothing).await;
        assert!(server(port, "none").tcp().await.unwrap().nodelay().unwrap());
    }

    #[tokio::test]
    async fn required_starttls_that_the_server_does_not_offer_is_a_permanent_failure() {
        let (port, _) = responder(After::Nothing).await;
        match server(port, "starttls").send(&envelope(), b"Subject: x\r\n\r\nx\r\n").await {
            Err(SendError::Permanent(reason)) => assert!(reason.contains("STARTTLS"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn implicit_tls_to_a_plain_server_fails_for_now_and_is_retried() {
        let (port, _) = responder(After::Nothing).await;
        match server(port, "tls").send(&envelope(), b"Subject: x\r\n\r\nx\r\n").await {
            Err(SendError::Temporary(reason)) => assert!(reason.contains("TLS"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }

    const MESSAGE: &[u8] = b"From: bookings@example.org\r\nSubject: x\r\n\r\nhello\r\n";

    #[tokio::test]
    async fn a_backlog_goes_down_one_session_that_ends_with_quit() {
        use std::sync::atomic::Ordering::SeqCst;
        let (port, seen) = responder(After::Nothing).await;
        let smtp = server(port, "none");
        for _ in 0..5 {
            smtp.send(&envelope(), MESSAGE).await.unwrap();
        }
        assert_eq!((seen.connections.load(SeqCst), seen.messages.load(SeqCst)), (1, 5));
        assert_eq!(seen.quits.load(SeqCst), 0, "kept for the next message");
        // The responder counts the QUIT before its 221, which close_idle waits for.
        smtp.close_idle().await;
        assert_eq!(seen.quits.load(SeqCst), 1);
        smtp.send(&envelope(), MESSAGE).await.unwrap();
        assert_eq!(seen.connections.load(SeqCst), 2, "a new session after close_idle");
    }

    #[tokio::test]
    async fn a_kept_session_the_server_has_closed_is_replaced_without_losing_the_message() {
        use std::sync::atomic::Ordering::SeqCst;
        let (port, seen) = responder(After::HangUp(1)).await;
        let smtp = server(port, "none");
        for _ in 0..3 {
            smtp.send(&envelope(), MESSAGE).await.unwrap();
        }
        assert_eq!((seen.connections.load(SeqCst), seen.messages.load(SeqCst)), (3, 3));
    }

    #[tokio::test]
    async fn a_kept_session_that_falls_silent_is_given_up_after_the_timeout_and_replaced() {
        use std::sync::atomic::Ordering::SeqCst;
        let (port, seen) = responder(After::FallSilent(1)).await;
        let mut smtp = server(port, "none");
        smtp.timeout = Duration::from_millis(300);
        smtp.send(&envelope(), MESSAGE).await.unwrap();
        smtp.send(&envelope(), MESSAGE).await.unwrap();
        assert_eq!((seen.connections.load(SeqCst), seen.messages.load(SeqCst)), (2, 2));
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_temporary_failure() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        assert!(matches!(server(port, "none").send(&envelope(), b"x\r\n").await, Err(SendError::Temporary(_))));
    }
}
