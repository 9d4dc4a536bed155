//! Price labels as numbers: an event type's free-form `price` ("€40",
//! "40 EUR", "free") read as an amount in a currency, where it is one.
//! Pure: no I/O.

/// A price label read as a number: `cents` hundredths of `currency`
/// (a symbol, `€` for both "€40" and "40 EUR"; empty for "free" and bare
/// numbers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    pub currency: String,
    pub cents: i64,
}

impl Price {
    /// Free: "free", "gratis", or an amount of zero.
    pub fn is_free(&self) -> bool {
        self.cents == 0
    }
}

/// Codes written for the same currency as a symbol.
const SYMBOLS: [(&str, &str); 6] = [("EUR", "€"), ("GBP", "£"), ("USD", "$"), ("JPY", "¥"), ("INR", "₹"), ("CHF", "CHF")];

/// Reads a price label: an amount with an optional currency symbol or
/// three-letter code before or after it ("€40", "40 €", "40 EUR",
/// "EUR 40", "$12.50", "12,50 €", "€1,000"), or a word for free ("free",
/// "gratis"). `None` when the label is no number ("on request", "",
/// "40-60 €").
pub fn parse_price(label: &str) -> Option<Price> {
    let text = label.trim();
    if text.eq_ignore_ascii_case("free") || text.eq_ignore_ascii_case("gratis") {
        return Some(Price { currency: String::new(), cents: 0 });
    }
    let is_amount_char = |c: char| c.is_ascii_digit() || c == '.' || c == ',';
    let first = text.find(|c: char| c.is_ascii_digit())?;
    let rest = &text[first..];
    let len = rest.find(|c: char| !is_amount_char(c)).unwrap_or(rest.len());
    let (amount, after) = (&rest[..len], rest[len..].trim());
    let before = text[..first].trim();
    let currency = match (before, after) {
        ("", "") => String::new(),
        (c, "") | ("", c) => currency_of(c)?,
        _ => return None,
    };
    Some(Price { currency, cents: cents_of(amount)? })
}

/// A symbol, or a three-letter code (its symbol where it has one).
fn currency_of(text: &str) -> Option<String> {
    let upper = text.to_ascii_uppercase();
    if let Some((_, symbol)) = SYMBOLS.iter().find(|(code, _)| *code == upper) {
        return Some((*symbol).to_string());
    }
    let chars: Vec<char> = text.chars().collect();
    let symbol = chars.len() == 1 && !chars[0].is_alphanumeric() && !chars[0].is_whitespace() && chars[0] != '-' && chars[0] != '+';
    let code = chars.len() == 3 && chars.iter().all(|c| c.is_ascii_alphabetic());
    match (symbol, code) {
        (true, _) => Some(text.to_string()),
        (_, true) => Some(upper),
        _ => None,
    }
}

/// "40" → 4000, "12.5" → 1250, "12,50" → 1250, "1,000" and "1.000" →
/// 100000 (a separator before exactly three digits groups thousands).
fn cents_of(amount: &str) -> Option<i64> {
    let seps: Vec<usize> = amount.match_indices(['.', ',']).map(|(i, _)| i).collect();
    let digits = |s: &str| -> Option<i64> {
        if s.is_empty() || s.len() > 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    match seps.as_slice() {
        [] => digits(amount)?.checked_mul(100),
        [i] => {
            let (whole, frac) = (&amount[..*i], &amount[i + 1..]);
            match frac.len() {
                1 => Some(digits(whole)? * 100 + digits(frac)? * 10),
                2 => Some(digits(whole)? * 100 + digits(frac)?),
                3 => digits(&format!("{whole}{frac}"))?.checked_mul(100),
                _ => None,
            }
        }
        _ => None,
    }
}

/// An amount in cents as written in a table: `120.50`.
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", (cents / 100).abs(), (cents % 100).abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(currency: &str, cents: i64) -> Option<Price> {
        Some(Price { currency: currency.into(), cents })
    }

    #[test]
    fn symbols_and_codes_before_or_after_the_amount() {
        assert_eq!(parse_price("€40"), p("€", 4000));
        assert_eq!(parse_price("40 EUR"), p("€", 4000));
        assert_eq!(parse_price("eur 40"), p("€", 4000));
        assert_eq!(parse_price("40€"), p("€", 4000));
        assert_eq!(parse_price("$12.50"), p("$", 1250));
        assert_eq!(parse_price("12,5 £"), p("£", 1250));
        assert_eq!(parse_price("30 SEK"), p("SEK", 3000));
        assert_eq!(parse_price("25"), p("", 2500));
    }

    #[test]
    fn free_words_and_zero_are_free() {
        assert!(parse_price("free").unwrap().is_free());
        assert!(parse_price(" Free ").unwrap().is_free());
        assert!(parse_price("gratis").unwrap().is_free());
        assert!(parse_price("€0").unwrap().is_free());
        assert!(!parse_price("€40").unwrap().is_free());
    }

    #[test]
    fn thousands_separators_group_three_digits() {
        assert_eq!(parse_price("€1,000"), p("€", 100_000));
        assert_eq!(parse_price("1.000 €"), p("€", 100_000));
    }

    #[test]
    fn labels_that_are_no_number_are_none() {
        for label in ["", "on request", "40-60 €", "€ 1.2.3", "ab 40", "40 euros please", "€€40", "1,0000", "99999999999999"] {
            assert_eq!(parse_price(label), None, "{label:?}");
        }
    }

    #[test]
    fn cents_are_written_with_two_decimals() {
        assert_eq!(format_cents(12050), "120.50");
        assert_eq!(format_cents(5), "0.05");
        assert_eq!(format_cents(-250), "-2.50");
    }
}
