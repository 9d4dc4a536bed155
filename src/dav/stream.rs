//! Multi-status answers sent while they are written: a listing of a
//! calendar of 100,000 events goes out in chunks of
//! [`CHUNK`](crate::dav::xml::response::CHUNK) instead of being built
//! whole in memory first.
//!
//! [`StreamedAnswer`] is the [`ChunkSink`] the DAV surface gives a
//! multi-status builder. Nothing leaves until the first chunk is full, so
//! a short answer is still sent whole, with its length and, on a failure,
//! an error status. From the first chunk on, the `207` head goes to the
//! server through the request's [`ResponseSlot`] and the text follows
//! through a [`BodyWriter`]; a failure after that can no longer change the
//! status, so it cuts the connection (the client sees an incomplete
//! answer and asks again), never a short one that looks whole.
//!
//! May import `http` and `dav::xml`.

use bytes::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};

use super::xml::response::{ChunkSink, SinkClosed};
use crate::http::{Body, BodyWriter, ResponseSlot};

/// Sends a multi-status document to the client as it is written.
pub struct StreamedAnswer {
    slot: ResponseSlot,
    writer: Option<BodyWriter>,
}

impl StreamedAnswer {
    pub fn new(slot: ResponseSlot) -> Self {
        StreamedAnswer { slot, writer: None }
    }
}

/// The head of a `207` whose body is `body`.
pub fn multistatus_head(body: Body) -> Response<Body> {
    let mut resp = Response::new(body);
    *resp.status_mut() = StatusCode::MULTI_STATUS;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"));
    resp
}

impl ChunkSink for StreamedAnswer {
    fn chunk(&mut self, text: String) -> Result<(), SinkClosed> {
        if self.writer.is_none() {
            let (writer, body) = Body::channel();
            if !self.slot.send(multistatus_head(body)) {
                return Err(SinkClosed);
            }
            self.writer = Some(writer);
        }
        let writer = self.writer.as_ref().expect("started above");
        writer.send(Bytes::from(text)).map_err(|_| SinkClosed)
    }

    fn started(&self) -> bool {
        self.writer.is_some()
    }

    fn end(&mut self) {
        if let Some(w) = self.writer.take() {
            w.finish();
        }
    }
}
