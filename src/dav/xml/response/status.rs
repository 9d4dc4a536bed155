//! Status lines and reason phrases (RFC 9110 §15, RFC 4918 §11).
//!
//! A leaf: it imports nothing of the crate; reason phrases are hyper's.

/// The reason phrase for a status code: the one HTTP responses carry
/// ([`hyper::StatusCode::canonical_reason`]), else the name of its class.
pub fn reason_phrase(code: u16) -> &'static str {
    hyper::StatusCode::from_u16(code).ok().and_then(|s| s.canonical_reason()).unwrap_or(match code / 100 {
        1 => "Informational",
        2 => "Success",
        3 => "Redirection",
        4 => "Client Error",
        _ => "Server Error",
    })
}

/// `HTTP/1.1 404 Not Found`, the content of `DAV:status`.
pub fn status_line(code: u16) -> String {
    format!("HTTP/1.1 {code} {}", reason_phrase(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_texts() {
        for (code, text) in [
            (200, "OK"),
            (201, "Created"),
            (204, "No Content"),
            (403, "Forbidden"),
            (404, "Not Found"),
            (409, "Conflict"),
            (412, "Precondition Failed"),
            (424, "Failed Dependency"),
            (507, "Insufficient Storage"),
            (500, "Internal Server Error"),
            // The same texts HTTP responses carry (hyper's canonical reasons).
            (413, "Payload Too Large"),
            (422, "Unprocessable Entity"),
            (299, "Success"),
        ] {
            assert_eq!(status_line(code), format!("HTTP/1.1 {code} {text}"));
        }
    }
}
