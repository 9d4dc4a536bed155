//! Connections: how long each may wait, how many may be open, and what
//! happens at the limits.
//!
//! - **Timeouts** (like nginx and Go's net/http): a new connection must
//!   deliver a complete request head within `header_timeout`; an idle
//!   kept-alive connection waits `keep_alive_timeout` for the first byte
//!   of its next request, and then has `header_timeout` for the rest of
//!   the head; a request body may pause at most `body_timeout`
//!   ([`TimedBody`], answered with 408). The time a handler takes is not
//!   limited here.
//! - **Caps**: at most `max_connections` open connections, and
//!   `max_connections_per_client` per client address (not counted for
//!   trusted proxies, whose connections carry many clients). At a cap the
//!   oldest idle connection is closed to make room; when none is idle the
//!   new connection gets a 503 and is closed.
//! - **Out of file descriptors** (EMFILE): the accept loop closes the
//!   oldest idle connection, backs off briefly and logs at most once per
//!   [`LOG_EVERY`] ([`QuietLog`]).
//!
//! [`Registry`] holds the shared state of every open connection; the
//! per-connection task in `server` watches its [`ConnState`].

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::{Instant, Sleep};

use crate::config::HttpConfig;

/// Repeated warnings (accept failures, refused connections) are logged at
/// most this often.
pub const LOG_EVERY: Duration = Duration::from_secs(60);

/// Where a connection is in its life.
#[derive(Debug, Clone, Copy)]
struct Phase {
    /// Requests handed to the router and not yet answered.
    busy: u32,
    /// When it last became idle (or was accepted).
    idle_since: Instant,
    /// No request has been received yet.
    first_request: bool,
    /// When the first byte after `idle_since` arrived.
    bytes_since: Option<Instant>,
}

/// The shared state of one open connection.
pub struct ConnState {
    id: u64,
    client: IpAddr,
    counts_per_client: bool,
    phase: Mutex<Phase>,
    /// Woken when the phase changes (a request starts or ends, the first
    /// byte of a request arrives).
    pub changed: Notify,
    /// Woken when the registry wants this connection closed.
    pub evict: Notify,
    evicted: AtomicBool,
}

impl ConnState {
    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Marks a request as being handled until the guard is dropped.
    pub fn begin_request(self: &Arc<Self>) -> RequestGuard {
        self.phase().busy += 1;
        self.changed.notify_one();
        RequestGuard(self.clone())
    }

    /// True while a request is being handled.
    pub fn is_busy(&self) -> bool {
        self.phase().busy > 0
    }

    /// When the connection must be closed if nothing changes; `None` while
    /// a request is being handled.
    pub fn deadline(&self, http: &HttpConfig) -> Option<Instant> {
        let p = *self.phase();
        if p.busy > 0 {
            None
        } else if p.first_request {
            Some(p.idle_since + http.header_timeout)
        } else if let Some(t) = p.bytes_since {
            Some(t + http.header_timeout)
        } else {
            Some(p.idle_since + http.keep_alive_timeout)
        }
    }

    fn is_idle(&self) -> bool {
        self.phase().busy == 0
    }

    fn note_bytes(&self) {
        let mut p = self.phase();
        if p.busy == 0 && p.bytes_since.is_none() {
            p.bytes_since = Some(Instant::now());
            drop(p);
            self.changed.notify_one();
        }
    }
}

/// Held while a request is handled; dropping it makes the connection idle.
pub struct RequestGuard(Arc<ConnState>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let mut p = self.0.phase();
        p.busy = p.busy.saturating_sub(1);
        if p.busy == 0 {
            *p = Phase { busy: 0, idle_since: Instant::now(), first_request: false, bytes_since: None };
        }
        drop(p);
        self.0.changed.notify_one();
    }
}

/// Why a new connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `max_connections` are open and none is idle.
    Total,
    /// The client has `max_connections_per_client` open and none is idle.
    PerClient,
}

/// Every open connection.
#[derive(Default)]
pub struct Registry {
    inner: Mutex<Inner>,
    /// Woken whenever a connection is removed.
    pub removed: Notify,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    conns: HashMap<u64, Arc<ConnState>>,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a new connection from `client`, closing the oldest idle
    /// one when a cap is reached, or refuses it.
    pub fn admit(&self, client: IpAddr, counts_per_client: bool, http: &HttpConfig) -> Result<Arc<ConnState>, Refusal> {
        let mut inner = self.lock();
        let live = |c: &&Arc<ConnState>| !c.evicted.load(Ordering::Relaxed);
        if counts_per_client {
            let mine = inner.conns.values().filter(live).filter(|c| c.counts_per_client && c.client == client).count();
            if mine >= http.max_connections_per_client
                && !evict_oldest_idle(&inner, |c| c.counts_per_client && c.client == client)
            {
                return Err(Refusal::PerClient);
            }
        }
        let total = inner.conns.values().filter(live).count();
        if total >= http.max_connections && !evict_oldest_idle(&inner, |_| true) {
            return Err(Refusal::Total);
        }
        inner.next_id += 1;
        let state = Arc::new(ConnState {
            id: inner.next_id,
            client,
            counts_per_client,
            phase: Mutex::new(Phase { busy: 0, idle_since: Instant::now(), first_request: true, bytes_since: None }),
            changed: Notify::new(),
            evict: Notify::new(),
            evicted: AtomicBool::new(false),
        });
        inner.conns.insert(state.id, state.clone());
        Ok(state)
    }

    /// Asks the oldest idle connection to close; false when none is idle.
    pub fn evict_one(&self) -> bool {
        evict_oldest_idle(&self.lock(), |_| true)
    }

    /// Forgets a closed connection.
    pub fn remove(&self, state: &ConnState) {
        self.lock().conns.remove(&state.id);
        self.removed.notify_waiters();
    }

    /// Open connections.
    pub fn len(&self) -> usize {
        self.lock().conns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn evict_oldest_idle(inner: &Inner, pick: impl Fn(&ConnState) -> bool) -> bool {
    let oldest = inner
        .conns
        .values()
        .filter(|c| !c.evicted.load(Ordering::Relaxed) && pick(c) && c.is_idle())
        .min_by_key(|c| c.phase().idle_since);
    match oldest {
        Some(c) => {
            c.evicted.store(true, Ordering::Relaxed);
            c.evict.notify_one();
            true
        }
        None => false,
    }
}

/// A socket that tells its [`ConnState`] when request bytes arrive on an
/// idle connection (that starts the header timeout of the next request).
pub struct Watched<T> {
    pub inner: T,
    pub state: Arc<ConnState>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(res, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.state.note_bytes();
        }
        res
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// The request body pausing longer than `body_timeout`.
#[derive(Debug, thiserror::Error)]
#[error("the request body paused for longer than the body timeout")]
pub struct BodyTimeout;

/// A request body that fails with [`BodyTimeout`] when no data arrives
/// for `pause`; `timed_out` tells the router to answer 408.
pub struct TimedBody<B> {
    inner: B,
    pause: Duration,
    sleep: Pin<Box<Sleep>>,
    timed_out: Arc<AtomicBool>,
}

impl<B> TimedBody<B> {
    pub fn new(inner: B, pause: Duration, timed_out: Arc<AtomicBool>) -> Self {
        TimedBody { inner, pause, sleep: Box::pin(tokio::time::sleep(pause)), timed_out }
    }
}

impl<B> Body for TimedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                let deadline = Instant::now() + this.pause;
                this.sleep.as_mut().reset(deadline);
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => match this.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.timed_out.store(true, Ordering::Relaxed);
                    Poll::Ready(Some(Err(Box::new(BodyTimeout))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A warning that is logged at most once per [`LOG_EVERY`], with the count
/// of the ones left out in between.
pub struct QuietLog {
    last: Option<Instant>,
    suppressed: u64,
}

impl QuietLog {
    pub const fn new() -> Self {
        QuietLog { last: None, suppressed: 0 }
    }

    /// Some(number left out since the last one) when it is time to log.
    pub fn due(&mut self) -> Option<u64> {
        let now = Instant::now();
        if self.last.is_some_and(|t| now.duration_since(t) < LOG_EVERY) {
            self.suppressed += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.suppressed))
    }
}

impl Default for QuietLog {
    fn default() -> Self {
        Self::new()
    }
}

/// True for the accept errors that mean "out of file descriptors".
pub fn is_fd_exhaustion(e: &io::Error) -> bool {
    // EMFILE (per process) and ENFILE (system-wide) on Linux and the BSDs.
    matches!(e.raw_os_error(), Some(24) | Some(23))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(max: usize, per_client: usize) -> HttpConfig {
        HttpConfig {
            header_timeout: Duration::from_secs(60),
            keep_alive_timeout: Duration::from_secs(75),
            body_timeout: Duration::from_secs(60),
            max_connections: max,
            max_connections_per_client: per_client,
        }
    }

    #[tokio::test]
    async fn at_a_cap_the_oldest_idle_connection_makes_room() {
        let reg = Registry::default();
        let cfg = http(3, 2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = reg.admit(a, true, &cfg).unwrap();
        let second = reg.admit(a, true, &cfg).unwrap();
        let _busy = second.begin_request();
        // a's third: its oldest idle connection (the first) is asked to go.
        let third = reg.admit(a, true, &cfg).unwrap();
        assert!(first.evicted.load(Ordering::Relaxed) && !second.evicted.load(Ordering::Relaxed));
        // Both of a's live ones busy: refused.
        let _busy3 = third.begin_request();
        assert_eq!(reg.admit(a, true, &cfg).err(), Some(Refusal::PerClient));
        // A proxy's connections do not count per client.
        let p1 = reg.admit(b, false, &cfg).unwrap();
        let _busy_p1 = p1.begin_request();
        assert_eq!(reg.admit(b, false, &cfg).err(), Some(Refusal::Total));
        reg.remove(&first);
        assert_eq!(reg.len(), 3);
    }

    #[tokio::test]
    async fn deadlines_follow_the_phase() {
        let reg = Registry::default();
        let cfg = http(10, 10);
        let c = reg.admit("192.0.2.1".parse().unwrap(), true, &cfg).unwrap();
        let opened = c.phase().idle_since;
        assert_eq!(c.deadline(&cfg), Some(opened + cfg.header_timeout));
        let guard = c.begin_request();
        assert_eq!(c.deadline(&cfg), None);
        drop(guard);
        let idle = c.phase().idle_since;
        assert_eq!(c.deadline(&cfg), Some(idle + cfg.keep_alive_timeout));
        c.note_bytes();
        let t = c.phase().bytes_since.unwrap();
        assert_eq!(c.deadline(&cfg), Some(t + cfg.header_timeout));
    }
}
