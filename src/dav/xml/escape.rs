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

/// Appends an href that is already percent-encoded (`http::push_segment`
/// over a `store_href`: printable ASCII without `<`, `>` or `"`) as
/// element content: only `&` can need escaping, found with SIMD.
pub(crate) fn push_encoded_href(out: &mut String, href: &str) {
    debug_assert!(href.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"')), "{href}");
    if memchr::memchr(b'&', href.as_bytes()).is_none() {
        out.push_str(href);
    } else {
        push_text(out, href);
    }
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

/// Eight bytes at a time: whether any of the bytes packed in `w` is one
/// [`MAY_NEED_ESCAPE`] flags, or any non-ASCII byte (which may start
/// U+FFFE / U+FFFF). Never false when one is; a `true` only sends the
/// word through the byte-by-byte path. (Each test is the classic
/// "has a byte below n" on a word: exact for n ≤ 128.)
#[inline]
fn word_may_need_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    let equal = |b: u8| below(w ^ (ONES * b as u64), 1);
    (below(w, 0x20) | equal(b'&') | equal(b'<') | equal(b'>') | equal(b'"') | (w & HIGH)) != 0
}

/// Bytes that may need a replacement in element content ([`Mode::Text`]):
/// as [`MAY_NEED_ESCAPE`] without `"`, TAB, LF and CR, which it keeps.
static TEXT_NEEDS: [bool; 256] = {
    let mut t = MAY_NEED_ESCAPE;
    t[b'"' as usize] = false;
    t[b'\t' as usize] = false;
    t[b'\n' as usize] = false;
    t[b'\r' as usize] = false;
    t
};

/// Whether none of the sixteen bytes needs a replacement in element
/// content ([`Mode::Text`]): no `&`, `<`, `>`, no C0 control but TAB, LF
/// and CR, no 0xEF (which may start U+FFFE / U+FFFF). Exact per byte, with
/// SSE2 (part of every x86-64): calendar data, line ends included, passes
/// sixteen bytes at a time.
#[cfg(target_arch = "x86_64")]
#[inline]
fn block_is_plain_text(block: &[u8; 16]) -> bool {
    use std::arch::x86_64::*;
    let half = |i: usize| i64::from_le_bytes(block[i..i + 8].try_into().expect("eight bytes"));
    // SAFETY: SSE2 is part of the x86-64 baseline: every x86-64 CPU has
    // these instructions, and they only compute on the values given.
    unsafe {
        let v = _mm_set_epi64x(half(8), half(0));
        let is = |b: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8));
        // v ≤ 0x1F unsigned exactly when min(v, 0x1F) = v.
        let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);
        let kept = _mm_or_si128(_mm_or_si128(is(b'\t'), is(b'\n')), is(b'\r'));
        let markup = _mm_or_si128(_mm_or_si128(is(b'&'), is(b'<')), _mm_or_si128(is(b'>'), is(0xEF)));
        _mm_movemask_epi8(_mm_or_si128(_mm_andnot_si128(kept, control), markup)) == 0
    }
}

fn push(out: &mut String, s: &str, mode: Mode) {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        #[cfg(target_arch = "x86_64")]
        if mode == Mode::Text {
            if let Some(block) = bytes.get(i..i + 16) {
                if block_is_plain_text(block.try_into().expect("sixteen bytes")) {
                    i += 16;
                    continue;
                }
            }
        }
        // Calendar data is mostly plain ASCII text: skip eight bytes at a
        // time while nothing in them may need escaping.
        if let Some(word) = bytes.get(i..i + 8) {
            // A flagged word is mostly one with a line end, which element
            // content keeps: then eight table lookups decide.
            if !word_may_need_escape(u64::from_le_bytes(word.try_into().expect("eight bytes")))
                || (mode == Mode::Text && word.iter().all(|&b| !TEXT_NEEDS[b as usize]))
            {
                i += 8;
                continue;
            }
        }
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

    /// The word-at-a-time skip agrees with the byte-by-byte escape on every
    /// byte value at every position of a word.
    #[test]
    fn the_fast_path_misses_no_byte_that_needs_escaping() {
        fn slow(s: &str, mode: Mode) -> String {
            let mut o = String::new();
            for c in s.chars() {
                match (c, mode) {
                    ('&', _) => o.push_str("&amp;"),
                    ('<', _) => o.push_str("&lt;"),
                    ('>', _) => o.push_str("&gt;"),
                    ('"', Mode::Attr) => o.push_str("&quot;"),
                    ('\r', Mode::Text) => o.push('\r'),
                    ('\r', _) => o.push_str("&#13;"),
                    ('\n', Mode::Attr) => o.push_str("&#10;"),
                    ('\t', Mode::Attr) => o.push_str("&#9;"),
                    ('\n' | '\t', _) => o.push(c),
                    ('\u{0}'..='\u{1f}' | '\u{FFFE}' | '\u{FFFF}', _) => o.push('\u{FFFD}'),
                    _ => o.push(c),
                }
            }
            o
        }
        let specials = ["&", "<", ">", "\"", "\r", "\n", "\t", "\u{1}", "\u{1f}", "\u{FFFE}", "\u{FFFF}", "é", "\u{EFFF}", " ", "~", "\u{7f}", "\u{8}", "\u{b}", "\u{c}", "\u{e}"];
        for special in specials {
            // Every position of an eight- and a sixteen-byte block, and
            // past it: each fast path must hand the byte to the slow one.
            for at in 0..33 {
                let text = format!("{}{special}{}", "a".repeat(at), "b".repeat(20));
                for mode in [Mode::Text, Mode::TextExact, Mode::Attr] {
                    let mut fast = String::new();
                    push(&mut fast, &text, mode);
                    assert_eq!(fast, slow(&text, mode), "{special:?} at {at}");
                }
            }
        }
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
