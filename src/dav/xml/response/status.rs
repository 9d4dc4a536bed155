//! Status lines and reason phrases (RFC 9110 §15, RFC 4918 §11).
//!
//! A leaf: it imports nothing.

/// The reason phrase for a status code (RFC 9110 §15, RFC 4918 §11).
pub fn reason_phrase(code: u16) -> &'static str {
    match code {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        207 => "Multi-Status",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        410 => "Gone",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        423 => "Locked",
        424 => "Failed Dependency",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        507 => "Insufficient Storage",
        _ => match code / 100 {
            1 => "Informational",
            2 => "Success",
            3 => "Redirection",
            4 => "Client Error",
            _ => "Server Error",
        },
    }
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
        ] {
            assert_eq!(status_line(code), format!("HTTP/1.1 {code} {text}"));
        }
    }
}
