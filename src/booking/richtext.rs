//! A coach's own words on the booking pages (issue 12 §3): the `bio` and an
//! event type's `description`, written as plain text or a small Markdown
//! subset — paragraphs (blank lines between them), `*emphasis*` /
//! `_emphasis_`, `**strong**`, `[links](https://…)` (http, https and
//! mailto only) and bullet lists (`- ` or `* `). Everything else,
//! including raw HTML, headings and other link schemes, stays text.
//!
//! [`RichText::parse`] turns the text into a small block model of plain
//! strings; the pages' askama templates (`templates/rich_text.html`) lay it
//! out and escape every string, so nothing written here can become markup,
//! an attribute or a `javascript:` URL. Pure: no I/O.
//!
//! May import: nothing of the crate.

/// The most text a bio or description may have, in bytes (config refuses more).
pub const MAX_RICH_TEXT_BYTES: usize = 8 * 1024;

/// Parsed text: paragraphs and bullet lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RichText {
    pub blocks: Vec<Block>,
}

/// A paragraph (one item) or a bullet list (one item per bullet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub list: bool,
    pub items: Vec<Vec<Span>>,
}

/// A run of text with one style; `link` only ever holds an http, https or
/// mailto URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    pub strong: bool,
    pub emphasis: bool,
    pub link: Option<String>,
}

impl RichText {
    /// Reads plain text or the Markdown subset. Never fails: what is not
    /// markup of the subset is text.
    pub fn parse(text: &str) -> RichText {
        let mut blocks: Vec<Block> = Vec::new();
        // The lines of the block being read: (is a bullet, text).
        let mut lines: Vec<(bool, &str)> = Vec::new();
        for line in text.lines().chain(std::iter::once("")) {
            let trimmed = line.trim();
            if trimmed.is_empty() {
                if !lines.is_empty() {
                    blocks.extend(blocks_of(&lines));
                    lines.clear();
                }
                continue;
            }
            match bullet(trimmed) {
                Some(item) => lines.push((true, item)),
                None => lines.push((false, trimmed)),
            }
        }
        RichText { blocks }
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// The words without markup, paragraphs separated by blank lines and
    /// bullets on lines of their own (for text email and iCalendar).
    pub fn plain(&self) -> String {
        let line = |spans: &[Span]| {
            spans
                .iter()
                .map(|s| match &s.link {
                    Some(url) if url.trim_start_matches("mailto:") != s.text => format!("{} <{url}>", s.text),
                    _ => s.text.clone(),
                })
                .collect::<String>()
        };
        let blocks: Vec<String> = self
            .blocks
            .iter()
            .map(|b| {
                if b.list {
                    b.items.iter().map(|i| format!("- {}", line(i))).collect::<Vec<_>>().join("\n")
                } else {
                    b.items.iter().map(|i| line(i)).collect::<Vec<_>>().join("\n")
                }
            })
            .collect();
        blocks.join("\n\n")
    }
}

/// The text of a bullet line (`- item`, `* item`), if it is one.
fn bullet(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("- ").or_else(|| line.strip_prefix("* "))?;
    Some(rest.trim()).filter(|r| !r.is_empty())
}

/// The blocks of lines with no blank line between them: runs of plain
/// lines are a paragraph, runs of bullets a list; a plain line right after
/// a bullet continues that bullet.
fn blocks_of(lines: &[(bool, &str)]) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    let mut text = String::new();
    let mut items: Vec<String> = Vec::new();
    for (is_bullet, line) in lines {
        if *is_bullet {
            if !text.is_empty() {
                out.push(Block { list: false, items: vec![inline(&std::mem::take(&mut text))] });
            }
            items.push(line.to_string());
        } else if let Some(last) = items.last_mut() {
            last.push(' ');
            last.push_str(line);
        } else {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(line);
        }
    }
    if !items.is_empty() {
        out.push(Block { list: true, items: items.iter().map(|i| inline(i)).collect() });
    }
    if !text.is_empty() {
        out.push(Block { list: false, items: vec![inline(&text)] });
    }
    out
}

/// The spans of one paragraph or bullet.
fn inline(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    push_inline(text, false, false, &mut spans);
    spans
}

/// Reads `text` in the given style into `out`; markers without their
/// closing partner are text.
fn push_inline(text: &str, strong: bool, emphasis: bool, out: &mut Vec<Span>) {
    let mut plain = String::new();
    let mut rest = text;
    let flush = |plain: &mut String, out: &mut Vec<Span>| {
        if !plain.is_empty() {
            push_span(out, Span { text: std::mem::take(plain), strong, emphasis, link: None });
        }
    };
    while let Some(c) = rest.chars().next() {
        if c == '\\' {
            if let Some(next) = rest[1..].chars().next().filter(|n| "\\*_[]()".contains(*n)) {
                plain.push(next);
                rest = &rest[1 + next.len_utf8()..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix("**") {
            if let Some(end) = find_unescaped(after, "**").filter(|&e| e > 0) {
                flush(&mut plain, out);
                push_inline(&after[..end], true, emphasis, out);
                rest = &after[end + 2..];
                continue;
            }
        }
        let word_start = !plain.chars().last().is_some_and(char::is_alphanumeric);
        if (c == '*' || (c == '_' && word_start)) && !rest.starts_with("**") {
            let after = &rest[1..];
            if let Some(end) = find_unescaped(after, &rest[..1]).filter(|&e| e > 0 && !after.starts_with(' ')) {
                flush(&mut plain, out);
                push_inline(&after[..end], strong, true, out);
                rest = &after[end + 1..];
                continue;
            }
        }
        if c == '[' {
            if let Some((label, url, len)) = link_at(rest) {
                flush(&mut plain, out);
                push_span(out, Span { text: label.to_string(), strong, emphasis, link: Some(url) });
                rest = &rest[len..];
                continue;
            }
        }
        plain.push(c);
        rest = &rest[c.len_utf8()..];
    }
    flush(&mut plain, out);
}

/// Where `marker` first occurs in `text` outside a backslash escape.
fn find_unescaped(text: &str, marker: &str) -> Option<usize> {
    let mut i = 0;
    while i < text.len() {
        if text[i..].starts_with('\\') {
            i += 1 + text[i + 1..].chars().next().map_or(0, char::len_utf8);
            continue;
        }
        if text[i..].starts_with(marker) {
            return Some(i);
        }
        i += text[i..].chars().next().map_or(1, char::len_utf8);
    }
    None
}

/// Appends a span, merging it into the last one when the style is the same.
fn push_span(out: &mut Vec<Span>, span: Span) {
    match out.last_mut() {
        Some(last) if last.strong == span.strong && last.emphasis == span.emphasis && last.link.is_none() && span.link.is_none() => {
            last.text.push_str(&span.text)
        }
        _ => out.push(span),
    }
}

/// `[label](url)` at the start of `text`: the label, the URL and the bytes
/// it spans, when the URL is one we link to ([`safe_url`]).
fn link_at(text: &str) -> Option<(&str, String, usize)> {
    let close = text.find("](")?;
    let label = &text[1..close];
    if label.is_empty() || label.contains('[') {
        return None;
    }
    let after = &text[close + 2..];
    let end = after.find(')')?;
    let url = safe_url(&after[..end])?;
    Some((label, url, close + 2 + end + 1))
}

/// The URL if it is http, https or mailto and has no spaces or control
/// characters; any other scheme (`javascript:`, `data:` …) is refused.
pub fn safe_url(url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    let scheme_ok = ["http://", "https://", "mailto:"].iter().any(|s| lower.starts_with(s) && lower.len() > s.len());
    let chars_ok = !url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == '"');
    (scheme_ok && chars_ok).then(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Span {
        Span { text: s.into(), ..Span::default() }
    }

    fn para(spans: Vec<Span>) -> Block {
        Block { list: false, items: vec![spans] }
    }

    #[test]
    fn plain_text_is_paragraphs_split_at_blank_lines() {
        let r = RichText::parse("I teach piano.\nSince 2001.\n\n\nAnd guitar.");
        assert_eq!(r.blocks, vec![para(vec![text("I teach piano. Since 2001.")]), para(vec![text("And guitar.")])]);
        assert!(RichText::parse("  \n\n ").is_empty());
    }

    #[test]
    fn emphasis_strong_links_and_lists_are_read() {
        let r = RichText::parse("**Hello**, I am *Anna* and _this_ is [my site](https://anna.example/).\n\n- scales\n- chords\n  and more");
        let p = &r.blocks[0].items[0];
        assert_eq!(p[0], Span { text: "Hello".into(), strong: true, ..Span::default() });
        assert_eq!(p[1], text(", I am "));
        assert_eq!(p[2], Span { text: "Anna".into(), emphasis: true, ..Span::default() });
        assert_eq!(p[4], Span { text: "this".into(), emphasis: true, ..Span::default() });
        assert_eq!(p[6], Span { text: "my site".into(), link: Some("https://anna.example/".into()), ..Span::default() });
        assert_eq!(p[7], text("."));
        assert!(r.blocks[1].list);
        assert_eq!(r.blocks[1].items, vec![vec![text("scales")], vec![text("chords and more")]]);
        assert_eq!(r.plain(), "Hello, I am Anna and this is my site <https://anna.example/>.\n\n- scales\n- chords and more");
    }

    #[test]
    fn mailto_links_are_kept_and_other_schemes_stay_text() {
        let r = RichText::parse("[mail](mailto:a@b.example) [x](javascript:alert(1)) [y](JavaScript:alert(1)) [z](data:text/html,hi) [w](//evil.example)");
        let spans = &r.blocks[0].items[0];
        assert_eq!(spans[0].link.as_deref(), Some("mailto:a@b.example"));
        assert!(spans[1..].iter().all(|s| s.link.is_none()), "{spans:?}");
        let rest: String = spans[1..].iter().map(|s| s.text.as_str()).collect();
        assert!(rest.contains("[x](javascript:alert(1))") && rest.contains("[z](data:text/html,hi)"), "{rest}");
    }

    #[test]
    fn raw_html_and_attribute_breaking_come_out_as_text() {
        for input in [
            "<script>alert(1)</script>",
            "<div>\n<b onclick=\"x\">hi</b>\n</div>",
            "<img src=x onerror=alert(1)>",
            "[click](https://a.example/\"onmouseover=\"alert(1))",
            "[click](https://a.example/ onmouseover=alert(1))",
            "&lt;already&gt; & <!-- comment -->",
        ] {
            let r = RichText::parse(input);
            let all: Vec<&Span> = r.blocks.iter().flat_map(|b| b.items.iter().flatten()).collect();
            let joined: String = all.iter().map(|s| s.text.as_str()).collect();
            let squeezed: String = input.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(joined, squeezed, "every character of {input:?} stays text");
            assert!(all.iter().all(|s| s.link.is_none()), "{input:?} made a link: {all:?}");
        }
    }

    #[test]
    fn unclosed_markers_and_escapes_are_text() {
        let r = RichText::parse("2 * 3 = 6, **bold, snake_case_name, \\*not\\*, [open](https://x.example");
        assert_eq!(r.blocks, vec![para(vec![text("2 * 3 = 6, **bold, snake_case_name, *not*, [open](https://x.example")])]);
    }

    #[test]
    fn emphasis_inside_strong_and_inside_a_bullet() {
        let r = RichText::parse("* **very *much* so**");
        assert!(r.blocks[0].list);
        assert_eq!(
            r.blocks[0].items[0],
            vec![
                Span { text: "very ".into(), strong: true, ..Span::default() },
                Span { text: "much".into(), strong: true, emphasis: true, ..Span::default() },
                Span { text: " so".into(), strong: true, ..Span::default() },
            ]
        );
    }

    #[test]
    fn safe_urls() {
        assert!(safe_url("https://a.example/x?y=1").is_some());
        assert!(safe_url("HTTP://A.EXAMPLE").is_some());
        for bad in ["javascript:alert(1)", "https://", "ftp://x", "https://a b", "vbscript:x", " java\tscript:x"] {
            assert!(safe_url(bad).is_none(), "{bad}");
        }
    }
}
