//! The Fluent bundles: one per language, built once from the `.ftl` files
//! embedded at compile time, and the lookup every [`super::Tr`] uses.
//!
//! A key that no file defines reads as the key itself (and is logged), so a
//! page never fails for a missing text; the tests below make sure none is
//! missing.
//!
//! May import: nothing of the crate but [`super`].

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

use super::{Arg, Locale};

/// The message files: (language, file name, text). A new file is added here
/// for every language (the tests check that each has the same keys).
pub const FILES: &[(&str, &str, &str)] = &[
    ("en", "pages.ftl", include_str!("../../locales/en/pages.ftl")),
    ("en", "mail.ftl", include_str!("../../locales/en/mail.ftl")),
    ("en", "errors.ftl", include_str!("../../locales/en/errors.ftl")),
    ("en", "booking.ftl", include_str!("../../locales/en/booking.ftl")),
    ("de", "pages.ftl", include_str!("../../locales/de/pages.ftl")),
    ("de", "mail.ftl", include_str!("../../locales/de/mail.ftl")),
    ("de", "errors.ftl", include_str!("../../locales/de/errors.ftl")),
    ("de", "booking.ftl", include_str!("../../locales/de/booking.ftl")),
    ("fr", "pages.ftl", include_str!("../../locales/fr/pages.ftl")),
    ("fr", "mail.ftl", include_str!("../../locales/fr/mail.ftl")),
    ("fr", "errors.ftl", include_str!("../../locales/fr/errors.ftl")),
    ("fr", "booking.ftl", include_str!("../../locales/fr/booking.ftl")),
    ("es", "pages.ftl", include_str!("../../locales/es/pages.ftl")),
    ("es", "mail.ftl", include_str!("../../locales/es/mail.ftl")),
    ("es", "errors.ftl", include_str!("../../locales/es/errors.ftl")),
    ("es", "booking.ftl", include_str!("../../locales/es/booking.ftl")),
];

/// The languages with message files.
pub const LANGUAGES: [&str; 4] = ["en", "de", "fr", "es"];

struct Bundles {
    by_language: Vec<(&'static str, FluentBundle<FluentResource>)>,
}

fn bundles() -> &'static Bundles {
    static BUNDLES: OnceLock<Bundles> = OnceLock::new();
    BUNDLES.get_or_init(|| Bundles { by_language: LANGUAGES.iter().map(|lang| (*lang, bundle(lang))).collect() })
}

fn bundle(lang: &str) -> FluentBundle<FluentResource> {
    let id = lang.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks around arguments: they would show up in
    // mail subjects and break text searches; our arguments are names,
    // dates and numbers in the page's own direction.
    bundle.set_use_isolating(false);
    for (file_lang, name, text) in FILES {
        if *file_lang != lang {
            continue;
        }
        let resource = FluentResource::try_new(text.to_string()).unwrap_or_else(|(partial, errors)| {
            tracing::error!(language = lang, file = name, ?errors, "a message file has syntax errors; the rest of it is used");
            partial
        });
        if let Err(errors) = bundle.add_resource(resource) {
            tracing::error!(language = lang, file = name, ?errors, "a message file defines a key twice");
        }
    }
    bundle
}

/// The message `key` of `locale`'s language with `args`; the English one
/// when that language lacks it; the key itself when none has it.
pub fn format(locale: Locale, key: &str, args: &[(&str, Arg)]) -> String {
    let all = bundles();
    let find = |lang: &str| all.by_language.iter().find(|(l, _)| *l == lang).map(|(_, b)| b);
    let fluent_args = (!args.is_empty()).then(|| {
        let mut a = FluentArgs::new();
        for (name, value) in args {
            match value {
                Arg::Text(s) => a.set(*name, FluentValue::from(s.as_str())),
                Arg::Number(n) => a.set(*name, FluentValue::from(*n)),
            }
        }
        a
    });
    for lang in [locale.messages(), "en"] {
        let Some(bundle) = find(lang) else { continue };
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else { continue };
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, fluent_args.as_ref(), &mut errors);
        if !errors.is_empty() {
            tracing::warn!(key, language = lang, ?errors, "a message could not be formatted in full");
        }
        return text.into_owned();
    }
    tracing::warn!(key, "no message file defines this key");
    key.to_string()
}

/// The keys one language defines (for the tests and `slotdav check`-like tools).
pub fn keys(lang: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for (file_lang, _, text) in FILES {
        if *file_lang != lang {
            continue;
        }
        let resource = FluentResource::try_new(text.to_string()).unwrap_or_else(|(partial, _)| partial);
        for entry in resource.entries() {
            if let fluent_syntax::ast::Entry::Message(m) = entry {
                keys.push(m.id.name.to_string());
            }
        }
    }
    keys.sort();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn key_set(lang: &str) -> BTreeSet<String> {
        keys(lang).into_iter().collect()
    }

    #[test]
    fn every_file_parses_without_errors_and_defines_each_key_once() {
        for (lang, name, text) in FILES {
            if let Err((_, errors)) = FluentResource::try_new(text.to_string()) {
                panic!("locales/{lang}/{name}: {errors:?}");
            }
        }
        for lang in LANGUAGES {
            let all = keys(lang);
            let unique: BTreeSet<_> = all.iter().collect();
            assert_eq!(all.len(), unique.len(), "{lang} defines a key twice");
        }
    }

    /// A key of `en` missing in another language fails, and the reverse.
    #[test]
    fn every_language_has_every_english_key_and_no_other() {
        let en = key_set("en");
        assert!(en.len() > 100, "the English files are read: {}", en.len());
        for lang in LANGUAGES {
            let other = key_set(lang);
            let missing: Vec<_> = en.difference(&other).collect();
            let extra: Vec<_> = other.difference(&en).collect();
            assert!(missing.is_empty(), "{lang} lacks {missing:?}");
            assert!(extra.is_empty(), "{lang} has keys English does not: {extra:?}");
        }
    }

    /// Every key the code and the templates use exists: the literal keys
    /// of `t("…")`, `t_args("…"`, `t1("…"`, `t2("…"`, `t3("…"` and
    /// `tn("…"` in `src/` and `templates/`. (Keys made at run time, such as
    /// the connect page's steps and the error pages', are covered by the
    /// tests of their modules.)
    #[test]
    fn every_key_used_in_code_and_templates_exists() {
        let en = key_set("en");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut used = BTreeSet::new();
        let mut files = Vec::new();
        collect(&root.join("src"), &mut files);
        collect(&root.join("templates"), &mut files);
        for path in files {
            if path.ends_with("i18n/messages.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for call in ["t(\"", "t_args(\"", "t1(\"", "t2(\"", "t3(\"", "tn(\"", "t_n(\""] {
                for (i, _) in text.match_indices(call) {
                    let prior = text[..i].chars().last();
                    if call == "t(\"" && prior.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        continue; // not `tr.t(`: `format("…")` and friends
                    }
                    let rest = &text[i + call.len()..];
                    let key: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
                    if rest[key.len()..].starts_with('"') && !key.is_empty() {
                        used.insert((key, path.display().to_string()));
                    }
                }
            }
        }
        assert!(used.len() > 50, "the scan finds the keys in use: {}", used.len());
        let missing: Vec<_> = used.iter().filter(|(k, _)| !en.contains(k)).collect();
        assert!(missing.is_empty(), "keys used but not defined in locales/en: {missing:?}");
    }

    /// The student's pages say nothing in a fixed language: once the
    /// template syntax, tags, scripts and entities are taken out of a
    /// template, no word is left. (The coach's dashboard and analytics
    /// pages are English for now and are left out.)
    #[test]
    fn student_page_templates_have_no_text_outside_the_message_files() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let coach_only = ["dashboard", "analytics"];
        let mut checked = 0;
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if !name.ends_with(".html") || coach_only.iter().any(|c| name.starts_with(c)) {
                continue;
            }
            checked += 1;
            let mut text = std::fs::read_to_string(&path).unwrap();
            if name == "base.html" {
                // the default skip link of the English-only coach pages
                text = text.replace("{% block skip_label %}Skip to content{% endblock %}", "");
            }
            for (open, close) in [("{#", "#}"), ("{%", "%}"), ("{{", "}}"), ("<script", "</script>"), ("<style", "</style>"), ("<code", "</code>"), ("<", ">"), ("&", ";")] {
                text = strip(&text, open, close);
            }
            // the product's name is not translated
            let words: Vec<&str> = text.split(|c: char| !c.is_alphabetic()).filter(|w| w.chars().count() > 1 && *w != "slotdav").collect();
            if !words.is_empty() {
                found.push(format!("{name}: {words:?}"));
            }
        }
        assert!(checked > 20, "the templates are read: {checked}");
        assert!(found.is_empty(), "text outside locales/: {found:#?}");
    }

    /// `text` without every span from `open` to the next `close`.
    fn strip(text: &str, open: &str, close: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(i) = rest.find(open) {
            out.push_str(&rest[..i]);
            match rest[i..].find(close) {
                Some(j) => rest = &rest[i + j + close.len()..],
                None => return out,
            }
        }
        out.push_str(rest);
        out
    }

    fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                collect(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs" || e == "html") {
                out.push(path);
            }
        }
    }

    #[test]
    fn arguments_and_plurals_are_filled_in_without_isolation_marks() {
        let text = format(Locale::De, "slots-seats-left", &[("left", Arg::Number(1)), ("seats", Arg::Number(4))]);
        assert_eq!(text, "1 von 4 Plätzen frei");
        let text = format(Locale::En, "slots-seats-left", &[("left", Arg::Number(2)), ("seats", Arg::Number(4))]);
        assert_eq!(text, "2 of 4 places left");
        assert!(!text.contains('\u{2068}'));
    }

    #[test]
    fn an_unknown_key_reads_as_itself() {
        assert_eq!(format(Locale::Fr, "no-such-key", &[]), "no-such-key");
    }
}
