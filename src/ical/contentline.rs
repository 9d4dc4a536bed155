//! Content lines (RFC 5545 §3.1): one unfolded `NAME;PARAM=v1,v2:VALUE`
//! line → a [`Property`], with line unfolding at byte level, RFC 6868
//! parameter decoding and TEXT unescaping (§3.3.11).
//!
//! The bottom of the reader: it imports nothing from `ical`. Components
//! ([`super::component`]) are built from these lines; values
//! ([`super::value`]) are read from [`Property::value`].

/// One content line: `NAME;PARAM=v1,v2:VALUE`. The value is kept as sent
/// (still escaped), so re-serialising reproduces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// Upper case.
    pub name: String,
    /// Parameter name (upper case) → values, quotes removed.
    pub params: Vec<(String, Vec<String>)>,
    pub value: String,
}

impl Property {
    /// First value of a parameter (name upper case).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.first())
            .map(String::as_str)
    }

    /// The value with TEXT escapes (RFC 5545 §3.3.11) undone.
    pub fn text(&self) -> String {
        unescape_text(&self.value)
    }
}

/// Undo TEXT escaping: `\n`, `\N`, `\,`, `\;`, `\\`.
pub fn unescape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Remove line folding (CRLF or LF followed by a space or tab), at byte
/// level so that a fold in the middle of a UTF-8 sequence rejoins it.
pub(super) fn unfold(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') && matches!(bytes.get(i + 2), Some(b' ' | b'\t')) {
            i += 3;
            continue;
        }
        if b == b'\n' && matches!(bytes.get(i + 1), Some(b' ' | b'\t')) {
            i += 2;
            continue;
        }
        out.push(b);
        i += 1;
    }
    out
}

/// Move each fold that splits a UTF-8 sequence to just before that
/// sequence, so the folded text is valid UTF-8 with the same content.
pub(super) fn refold_at_char_boundaries(bytes: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let fold_len = match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'\r', Some(b'\n'), Some(b' ' | b'\t')) => 3,
            (b'\n', Some(b' ' | b'\t'), _) => 2,
            _ => 0,
        };
        if fold_len == 0 {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        // Trailing bytes of `out` that start a sequence not yet complete.
        let mut pending = 0;
        for back in 1..=3.min(out.len()) {
            let b = out[out.len() - back];
            if b & 0xC0 == 0x80 {
                continue;
            }
            let need = if b >= 0xF0 { 4 } else if b >= 0xE0 { 3 } else if b >= 0xC0 { 2 } else { 1 };
            if need > back {
                pending = back;
            }
            break;
        }
        let tail: Vec<u8> = out.split_off(out.len() - pending);
        out.extend_from_slice(&bytes[i..i + fold_len]);
        out.extend_from_slice(&tail);
        i += fold_len;
    }
    out
}

pub(super) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

/// Undo RFC 6868 caret encoding of a parameter value: `^n` is a line
/// break, `^'` a DQUOTE, `^^` a caret; any other `^` stays as it is.
fn decode_param(v: &str) -> String {
    if !v.contains('^') {
        return v.to_string();
    }
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '^' {
            match chars.peek() {
                Some('n') => {
                    chars.next();
                    out.push('\n');
                    continue;
                }
                Some('\'') => {
                    chars.next();
                    out.push('"');
                    continue;
                }
                Some('^') => {
                    chars.next();
                    out.push('^');
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

/// Whether some line of iCalendar text starts with property `name`
/// (ASCII case ignored), in any component, without reading the rest: a
/// cheap look at stored bytes that need not be valid. A folded
/// continuation starts with a space, so it never counts.
pub fn has_line_named(bytes: &[u8], name: &str) -> bool {
    let name = name.as_bytes();
    bytes.split(|b| *b == b'\n').any(|line| {
        line.len() > name.len() && line[..name.len()].eq_ignore_ascii_case(name) && matches!(line[name.len()], b':' | b';')
    })
}

/// Parse one unfolded content line.
pub fn parse_content_line(line: &str) -> Option<Property> {
    let name_end = line.find([';', ':'])?;
    let name = &line[..name_end];
    if name.is_empty() || !name.chars().all(is_name_char) {
        return None;
    }
    let mut params = Vec::new();
    let bytes = line.as_bytes();
    let mut i = name_end;
    while bytes.get(i) == Some(&b';') {
        i += 1;
        let eq = i + line[i..].find('=')?;
        let pname = &line[i..eq];
        if pname.is_empty() || !pname.chars().all(is_name_char) {
            return None;
        }
        i = eq + 1;
        let mut values = Vec::new();
        loop {
            if bytes.get(i) == Some(&b'"') {
                let close = i + 1 + line[i + 1..].find('"')?;
                values.push(decode_param(&line[i + 1..close]));
                i = close + 1;
            } else {
                let end = i + line[i..].find([',', ';', ':']).unwrap_or(line.len() - i);
                values.push(decode_param(&line[i..end]));
                i = end;
            }
            if bytes.get(i) == Some(&b',') {
                i += 1;
            } else {
                break;
            }
        }
        params.push((pname.to_ascii_uppercase(), values));
    }
    if bytes.get(i) != Some(&b':') {
        return None;
    }
    Some(Property {
        name: name.to_ascii_uppercase(),
        params,
        value: line[i + 1..].to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_line_named_looks_at_line_starts_only() {
        let text = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\norganizer;CN=A:mailto:a@b.c\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert!(has_line_named(text, "ORGANIZER"));
        assert!(has_line_named(b"ORGANIZER:mailto:a@b.c", "ORGANIZER"));
        assert!(!has_line_named(b"X-ORGANIZER:mailto:a@b.c\r\n", "ORGANIZER"));
        assert!(!has_line_named(b"DESCRIPTION:see\r\n ORGANIZER:x\r\n", "ORGANIZER"));
        assert!(!has_line_named(b"ORGANIZERX:x\r\nORGANIZER\r\n", "ORGANIZER"));
        assert!(!has_line_named(b"", "ORGANIZER"));
    }

    #[test]
    fn content_line_parameters_are_decoded() {
        let p = parse_content_line("ATTENDEE;CN=\"A, B ^'C^'\";ROLE=REQ-PARTICIPANT:mailto:a@b.c").unwrap();
        assert_eq!(p.param("CN"), Some("A, B \"C\""));
        assert_eq!(p.value, "mailto:a@b.c");
        assert_eq!(Property { value: "a\\, b\\nc".into(), ..p }.text(), "a, b\nc");
    }
}
