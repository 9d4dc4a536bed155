//! How fast the mail worker's transport hands messages to an SMTP server:
//! a responder on loopback (the kernel's delayed ACK as on any Linux SMTP
//! server), then `Transport::send` of 500 messages of 6 KB one after
//! another, as the outbox worker sends a backlog (down one kept session).
//!
//! Run with `cargo bench --bench mail_send`. Prints figures; asserts
//! nothing about time.

use std::time::Instant;

use lettre::address::Envelope;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use slotdav::mail::config::MailConfig;
use slotdav::mail::transport::Transport;
use slotdav::mail::{MailTransport, SmtpTls};

const MESSAGES: usize = 500;

/// Greets, says 250 to each command, 354 to DATA and 250 after its end.
async fn responder() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 bench.test\r\n").await;
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    let reply: &[u8] = if in_data {
                        if line != "." {
                            continue;
                        }
                        in_data = false;
                        b"250 queued\r\n"
                    } else if line.eq_ignore_ascii_case("DATA") {
                        in_data = true;
                        b"354 go ahead\r\n"
                    } else if line.to_ascii_uppercase().starts_with("QUIT") {
                        b"221 bye\r\n"
                    } else {
                        b"250 ok\r\n"
                    };
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let port = responder().await;
        let config = MailConfig { transport: MailTransport::Smtp, smtp_host: "127.0.0.1".into(), smtp_port: port, smtp_tls: SmtpTls::None, ..MailConfig::default() };
        let dir = tempfile::tempdir().unwrap();
        let transport = Transport::from_config(&config, dir.path()).unwrap();
        let envelope = Envelope::new(Some("bookings@example.org".parse().unwrap()), vec!["ben@example.org".parse().unwrap()]).unwrap();
        let body = format!("From: bookings@example.org\r\nTo: ben@example.org\r\nSubject: bench\r\n\r\n{}\r\n", "x".repeat(6000));
        let started = Instant::now();
        for _ in 0..MESSAGES {
            transport.send(&envelope, body.as_bytes()).await.unwrap();
        }
        let took = started.elapsed();
        println!(
            "mail_send: {MESSAGES} messages of {} bytes in {:.3} s: {:.2} ms per message, {:.0} messages/s",
            body.len(),
            took.as_secs_f64(),
            took.as_secs_f64() * 1000.0 / MESSAGES as f64,
            MESSAGES as f64 / took.as_secs_f64()
        );
    });
}
