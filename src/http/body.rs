//! The response body type: bytes already in memory, or a stream of chunks
//! written while the response is being sent.
//!
//! A long answer (a PROPFIND Depth 1 of a calendar of 100,000 events, an
//! initial sync, a big calendar-query) is written by its handler on the
//! blocking pool through a [`BodyWriter`] while hyper sends what is
//! already written. The channel between them holds at most
//! [`CHUNKS_IN_FLIGHT`] chunks, so a request costs a bounded amount of
//! memory however big its answer, and a client that reads slowly slows
//! the writer down instead of making the server buffer for it. A writer
//! that waits longer than [`STALLED_READER`] for room gives up.
//!
//! Part of `http`: imports nothing of the crate.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Frame, SizeHint};
use hyper::Response;
use tokio::sync::{mpsc, oneshot};

/// Chunks written but not yet sent, per streamed response.
pub const CHUNKS_IN_FLIGHT: usize = 4;

/// How long a writer waits for a client that does not read.
pub const STALLED_READER: Duration = Duration::from_secs(60);

/// The body of every response slotdav writes.
pub struct Body {
    kind: Kind,
}

enum Kind {
    /// All of it, sent as one frame (taken when sent).
    Full(Option<Bytes>),
    /// Chunks as a [`BodyWriter`] writes them; an `Err` cuts the response.
    Stream(mpsc::Receiver<Result<Bytes, BodyAborted>>),
}

/// A streamed body that was cut before its end: the writer failed after
/// the status line was sent. hyper then closes the connection without the
/// final chunk, so the client sees an incomplete response, never a short
/// one that looks whole.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the response was cut off: the server could not finish it")]
pub struct BodyAborted;

/// The reader of a streamed body is gone (the client hung up) or did not
/// read for [`STALLED_READER`]: stop writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the client stopped reading the response")]
pub struct ReaderGone;

impl Body {
    /// A body of these bytes.
    pub fn new(bytes: impl Into<Bytes>) -> Body {
        Body { kind: Kind::Full(Some(bytes.into())) }
    }

    pub fn empty() -> Body {
        Body { kind: Kind::Full(None) }
    }

    /// A body that a [`BodyWriter`] writes as it goes. The writer must be
    /// used off the async workers (the blocking pool), inside the runtime.
    pub fn channel() -> (BodyWriter, Body) {
        let (tx, rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
        (BodyWriter { tx: Some(tx), runtime: tokio::runtime::Handle::current() }, Body { kind: Kind::Stream(rx) })
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::empty()
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body::new(b)
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Body::new(s)
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            Kind::Full(b) => write!(f, "Body({} bytes)", b.as_ref().map_or(0, |b| b.len())),
            Kind::Stream(_) => f.write_str("Body(stream)"),
        }
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = BodyAborted;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BodyAborted>>> {
        match &mut self.kind {
            Kind::Full(b) => Poll::Ready(b.take().filter(|b| !b.is_empty()).map(|b| Ok(Frame::data(b)))),
            Kind::Stream(rx) => rx.poll_recv(cx).map(|chunk| chunk.map(|c| c.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Full(b) => b.as_ref().is_none_or(|b| b.is_empty()),
            Kind::Stream(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Stream(_) => SizeHint::default(),
        }
    }
}

/// The writing end of [`Body::channel`]. [`BodyWriter::finish`] ends the
/// body; dropped without it (the writer failed or panicked), it cuts the
/// body ([`BodyAborted`]).
pub struct BodyWriter {
    tx: Option<mpsc::Sender<Result<Bytes, BodyAborted>>>,
    runtime: tokio::runtime::Handle,
}

impl BodyWriter {
    /// Sends one chunk, waiting while [`CHUNKS_IN_FLIGHT`] are unsent.
    /// Blocks: call it on the blocking pool, never on an async worker.
    pub fn send(&self, chunk: Bytes) -> Result<(), ReaderGone> {
        let Some(tx) = &self.tx else { return Err(ReaderGone) };
        self.runtime.block_on(async {
            match tx.send_timeout(Ok(chunk), STALLED_READER).await {
                Ok(()) => Ok(()),
                Err(_) => Err(ReaderGone),
            }
        })
    }

    /// The body is complete.
    pub fn finish(mut self) {
        self.tx = None;
    }
}

impl Drop for BodyWriter {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            // Queued behind the chunks already written; never blocks here.
            self.runtime.spawn(async move {
                let _ = tx.send_timeout(Err(BodyAborted), STALLED_READER).await;
            });
        }
    }
}

/// Where a handler running on the blocking pool hands over its response:
/// as soon as it is known, which for a streamed body is before the handler
/// has finished writing it. The first response given is the one sent;
/// clones share the slot.
#[derive(Clone)]
pub struct ResponseSlot(Arc<Mutex<Option<oneshot::Sender<Response<Body>>>>>);

impl ResponseSlot {
    /// A slot, and where the server awaits its response (an error there:
    /// the handler ended without giving one, i.e. it panicked).
    pub fn new() -> (ResponseSlot, oneshot::Receiver<Response<Body>>) {
        let (tx, rx) = oneshot::channel();
        (ResponseSlot(Arc::new(Mutex::new(Some(tx)))), rx)
    }

    /// Sends `resp` unless a response was sent already: whether it was.
    pub fn send(&self, resp: Response<Body>) -> bool {
        let tx = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        tx.is_some_and(|tx| tx.send(resp).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_streamed_body_arrives_whole_in_order() {
        let (w, body) = Body::channel();
        let writer = tokio::task::spawn_blocking(move || {
            for i in 0..100 {
                w.send(Bytes::from(format!("{i},"))).unwrap();
            }
            w.finish();
        });
        let all = body.collect().await.unwrap().to_bytes();
        writer.await.unwrap();
        let want: String = (0..100).map(|i| format!("{i},")).collect();
        assert_eq!(all, want.as_bytes());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_writer_dropped_before_finish_cuts_the_body() {
        let (w, body) = Body::channel();
        tokio::task::spawn_blocking(move || {
            w.send(Bytes::from_static(b"<D:multistatus>")).unwrap();
            drop(w);
        })
        .await
        .unwrap();
        assert!(body.collect().await.is_err(), "a cut body must not end like a whole one");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_writer_stops_when_the_reader_is_gone() {
        let (w, body) = Body::channel();
        drop(body);
        let sent = tokio::task::spawn_blocking(move || w.send(Bytes::from_static(b"x"))).await.unwrap();
        assert_eq!(sent, Err(ReaderGone));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_slow_reader_holds_the_writer_back_to_a_few_chunks() {
        let (w, mut body) = Body::channel();
        let sent = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = sent.clone();
        let writer = tokio::task::spawn_blocking(move || {
            for _ in 0..20 {
                w.send(Bytes::from_static(b"chunk")).unwrap();
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            w.finish();
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(sent.load(std::sync::atomic::Ordering::SeqCst), CHUNKS_IN_FLIGHT, "the writer runs ahead of the reader by the channel only");
        while body.frame().await.is_some() {}
        writer.await.unwrap();
        assert_eq!(sent.load(std::sync::atomic::Ordering::SeqCst), 20);
    }

    #[test]
    fn the_first_response_given_is_the_one_sent() {
        let (slot, mut rx) = ResponseSlot::new();
        let mut first = Response::new(Body::empty());
        *first.status_mut() = hyper::StatusCode::MULTI_STATUS;
        assert!(slot.clone().send(first));
        assert!(!slot.send(Response::new(Body::empty())));
        assert_eq!(rx.try_recv().unwrap().status(), hyper::StatusCode::MULTI_STATUS);
    }
}
