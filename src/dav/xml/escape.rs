//! Escaping of character data and attribute values for the XML we write
//! (XML 1.0 §2.4 and §3.3.3). Characters XML 1.0 does not allow at all
//! (most C0 controls, U+FFFE, U+FFFF) are replaced with U+FFFD so that the
//! output is always well-formed, whatever the caller passes in.

/// What to do with a byte while escaping.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Element content in responses: `&`, `<`, `>`; CR kept as is.
    Text,
    /// Element content of stored fragments: as `Text`, and CR as `&#13;` so
    /// that it survives line-end normalisation when re-parsed.
    TextExact,
    /// Attribute values: as `TextExact`, plus `"`, and TAB/LF as character
    /// references so that attribute-value normalisation keeps them.
    Attr,
}

/// Appends `s` escaped as element content.
pub(crate) fn push_text(out: &mut String, s: &str) {
    push(out, s, Mode::Text)
}

/// Appends `s` escaped as element content, keeping carriage returns.
pub(crate) fn push_text_exact(out: &mut String, s: &str) {
    push(out, s, Mode::TextExact)
}

/// Appends `s` escaped for use inside a double-quoted attribute value.
pub(crate) fn push_attr(out: &mut String, s: &str) {
    push(out, s, Mode::Attr)
}

/// Bytes that may need a replacement in some mode: markup, `"`, C0
/// controls, and the first byte of U+FFFE / U+FFFF.
static MAY_NEED_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = true;
        b += 1;
    }
    t[b'&' as usize] = true;
    t[b'<' as usize] = true;
    t[b'>' as usize] = true;
    t[b'"' as usize] = true;
    t[0xEF] = true;
    t
};

fn push(out: &mut String, s: &str, mode: Mode) {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // Most bytes of a calendar or an href need nothing: skip them with
        // one table lookup (the match below is for the few that might).
        if !MAY_NEED_ESCAPE[b as usize] {
            i += 1;
            continue;
        }
        let replacement: Option<&str> = match b {
            b'&' => Some("&amp;"),
            b'<' => Some("&lt;"),
            b'>' => Some("&gt;"),
            b'"' if mode == Mode::Attr => Some("&quot;"),
            b'\r' if mode != Mode::Text => Some("&#13;"),
            b'\r' => None,
            b'\n' if mode == Mode::Attr => Some("&#10;"),
            b'\t' if mode == Mode::Attr => Some("&#9;"),
            b'\n' | b'\t' => None,
            0..=0x1f => Some("\u{FFFD}"),
            // U+FFFE / U+FFFF are EF BF BE / EF BF BF in UTF-8.
            0xEF if i + 2 < bytes.len()
                && bytes[i + 1] == 0xBF
                && (bytes[i + 2] == 0xBE || bytes[i + 2] == 0xBF) =>
            {
                out.push_str(&s[start..i]);
                out.push('\u{FFFD}');
                i += 3;
                start = i;
                continue;
            }
            _ => None,
        };
        if let Some(r) = replacement {
            out.push_str(&s[start..i]);
            out.push_str(r);
            start = i + 1;
        }
        i += 1;
    }
    out.push_str(&s[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        let mut o = String::new();
        push_text(&mut o, s);
        o
    }

    #[test]
    fn escapes_markup_in_text_and_attributes() {
        assert_eq!(text("a & b < c > d \"e\""), "a &amp; b &lt; c &gt; d \"e\"");
        let mut o = String::new();
        push_attr(&mut o, "x\"y&\n\t\r");
        assert_eq!(o, "x&quot;y&amp;&#10;&#9;&#13;");
    }

    #[test]
    fn keeps_unicode_and_replaces_forbidden_characters() {
        assert_eq!(text("Grüße 𐀀 🎉"), "Grüße 𐀀 🎉");
        assert_eq!(text("a\u{1}b\u{FFFF}c\u{FFFE}"), "a\u{FFFD}b\u{FFFD}c\u{FFFD}");
        assert_eq!(text("line\r\nnext"), "line\r\nnext");
        let mut o = String::new();
        push_text_exact(&mut o, "line\r\n");
        assert_eq!(o, "line&#13;\n");
    }
}
