//! `GET /book/{coach}/photo.img`: the coach's `photo` (issue 12 §3), a
//! file relative to the data directory read at each request (so the coach
//! may replace it), answered only when it is a JPEG, PNG or WebP by its
//! magic bytes and at most [`MAX_PHOTO_BYTES`]; with `Cache-Control`, a
//! content `ETag` and `Last-Modified`, and 304 on revalidation. A missing
//! or unusable file is no photo (404 here, no `<img>` on the pages) and a
//! warning in the log, once per file and problem, never a 500.
//!
//! May import: `app`, `booking` (the coach), `http`.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use hyper::{Response, StatusCode};
use sha2::{Digest, Sha256};

use crate::app::App;
use crate::booking::coach::CoachConfig;
use crate::http::{http_date, quote_etag, Body};

use super::errors::PageError;
use super::request::PageRequest;
use super::respond::enc;

/// The largest photo served, in bytes.
pub const MAX_PHOTO_BYTES: u64 = 2 * 1024 * 1024;

/// How long browsers may use a photo before asking again.
const PHOTO_CACHE_CONTROL: &str = "public, max-age=3600";

/// The image formats a photo may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Jpeg,
    Png,
    Webp,
}

impl ImageKind {
    /// The format by the file's first bytes (not its name).
    pub fn sniff(head: &[u8]) -> Option<ImageKind> {
        if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageKind::Jpeg)
        } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageKind::Png)
        } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
            Some(ImageKind::Webp)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
            ImageKind::Webp => "image/webp",
        }
    }
}

/// The photo's stable URL.
pub fn photo_url(coach: &CoachConfig) -> String {
    format!("/book/{}/photo.img", enc(&coach.slug))
}

/// The URL of the coach's photo when there is a usable one now.
pub fn available_photo_url(app: &App, coach: &CoachConfig) -> Option<String> {
    let path = coach.photo.as_ref()?;
    read_photo(&app.config.data_dir, path, false).map(|_| photo_url(coach))
}

/// A photo read from disk (`with_bytes`: the whole file, else only its head).
struct Photo {
    kind: ImageKind,
    bytes: Vec<u8>,
    modified: Option<DateTime<Utc>>,
}

/// Reads and checks a photo; `None` (and a warning, once) when it is
/// missing, too large or not an image we serve.
fn read_photo(data_dir: &Path, relative: &Path, with_bytes: bool) -> Option<Photo> {
    let path = data_dir.join(relative);
    let result = (|| -> Result<Photo, String> {
        let mut file = std::fs::File::open(&path).map_err(|e| format!("cannot open it: {e}"))?;
        let meta = file.metadata().map_err(|e| format!("cannot read it: {e}"))?;
        if !meta.is_file() {
            return Err("it is not a file".into());
        }
        if meta.len() > MAX_PHOTO_BYTES {
            return Err(format!("it is larger than {MAX_PHOTO_BYTES} bytes"));
        }
        let mut bytes = Vec::new();
        let limit = if with_bytes { MAX_PHOTO_BYTES + 1 } else { 12 };
        (&mut file).take(limit).read_to_end(&mut bytes).map_err(|e| format!("cannot read it: {e}"))?;
        if bytes.len() as u64 > MAX_PHOTO_BYTES {
            return Err(format!("it is larger than {MAX_PHOTO_BYTES} bytes"));
        }
        let kind = ImageKind::sniff(&bytes).ok_or("it is not a JPEG, PNG or WebP image")?;
        let modified = meta.modified().ok().map(DateTime::<Utc>::from);
        Ok(Photo { kind, bytes, modified })
    })();
    match result {
        Ok(photo) => Some(photo),
        Err(problem) => {
            warn_once(&path, &problem);
            None
        }
    }
}

/// Logs a photo's problem once per file and problem (pages ask on every view).
fn warn_once(path: &Path, problem: &str) {
    static WARNED: OnceLock<Mutex<HashSet<(PathBuf, String)>>> = OnceLock::new();
    let mut warned = WARNED.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if warned.len() < 1000 && warned.insert((path.to_path_buf(), problem.to_string())) {
        tracing::warn!(path = %path.display(), problem, "coach photo not shown");
    }
}

/// `GET /book/{coach}/photo.img`.
pub fn photo(app: &App, req: &PageRequest, slug: &str) -> Result<Response<Body>, PageError> {
    let coach = app.booking.coach(slug)?;
    let relative = coach.photo.as_ref().ok_or(PageError::NotFound)?;
    let photo = read_photo(&app.config.data_dir, relative, true).ok_or(PageError::NotFound)?;
    let digest = Sha256::digest(&photo.bytes);
    let etag = quote_etag(&digest.iter().take(16).map(|b| format!("{b:02x}")).collect::<String>());
    let last_modified = photo.modified.map(|t| DateTime::<Utc>::from_timestamp(t.timestamp(), 0).unwrap_or(t));
    let not_modified = match req.headers.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        Some(tags) => tags.split(',').map(str::trim).any(|t| t == "*" || t.trim_start_matches("W/") == etag),
        None => match (req.headers.get(IF_MODIFIED_SINCE).and_then(|v| v.to_str().ok()), last_modified) {
            (Some(since), Some(modified)) => DateTime::parse_from_rfc2822(since).is_ok_and(|s| modified <= s.with_timezone(&Utc)),
            _ => false,
        },
    };
    let mut resp = if not_modified {
        let mut r = Response::new(Body::new(Bytes::new()));
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let mut r = Response::new(Body::new(Bytes::from(photo.bytes)));
        r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(photo.kind.content_type()));
        r
    };
    let headers = resp.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(PHOTO_CACHE_CONTROL));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, v);
    }
    if let Some(v) = last_modified.and_then(|t| HeaderValue::from_str(&http_date(t)).ok()) {
        headers.insert(LAST_MODIFIED, v);
    }
    headers.insert(hyper::header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_known_by_their_magic_bytes() {
        assert_eq!(ImageKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some(ImageKind::Jpeg));
        assert_eq!(ImageKind::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(ImageKind::Png));
        assert_eq!(ImageKind::sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some(ImageKind::Webp));
        assert_eq!(ImageKind::sniff(b"RIFF\x10\0\0\0AVI LIST"), None);
        assert_eq!(ImageKind::sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\">"), None);
        assert_eq!(ImageKind::sniff(b"GIF89a"), None);
        assert_eq!(ImageKind::sniff(b""), None);
    }

    #[test]
    fn a_missing_large_or_foreign_file_is_no_photo() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_photo(dir.path(), Path::new("nope.jpg"), false).is_none());
        std::fs::write(dir.path().join("fake.png"), b"<html>not an image</html>").unwrap();
        assert!(read_photo(dir.path(), Path::new("fake.png"), true).is_none());
        let mut big = vec![0xFF, 0xD8, 0xFF];
        big.resize(MAX_PHOTO_BYTES as usize + 1, 0);
        std::fs::write(dir.path().join("big.jpg"), &big).unwrap();
        assert!(read_photo(dir.path(), Path::new("big.jpg"), true).is_none());
        std::fs::write(dir.path().join("ok.jpg"), &big[..1000]).unwrap();
        let photo = read_photo(dir.path(), Path::new("ok.jpg"), true).unwrap();
        assert_eq!((photo.kind, photo.bytes.len()), (ImageKind::Jpeg, 1000));
    }
}
