//! The analytics downloads: `text/csv; charset=utf-8` as an attachment,
//! every field quoted (RFC 4180: quotes doubled, CRLF line ends), and
//! cells that a spreadsheet would run as a formula (starting with `=`,
//! `+`, `-`, `@`, a tab or a carriage return) prefixed with `'`.

use bytes::Bytes;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use hyper::Response;

use crate::analytics::price::format_cents;
use crate::analytics::{Counts, Report};
use crate::http::Body;

/// Which table a download holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Weekly,
    Hours,
    Students,
}

/// One field, quoted and made safe.
pub fn cell(value: &str) -> String {
    let risky = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let safe = if risky { format!("'{value}") } else { value.to_string() };
    format!("\"{}\"", safe.replace('"', "\"\""))
}

fn line(out: &mut String, fields: &[String]) {
    let cells: Vec<String> = fields.iter().map(|f| cell(f)).collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

/// Hours with two decimals.
pub fn hours(minutes: i64) -> String {
    format!("{:.2}", minutes as f64 / 60.0)
}

/// A ratio as a percentage with one decimal, empty when there is none.
pub fn percent(ratio: Option<f64>) -> String {
    ratio.map(|r| format!("{:.1}", r * 100.0)).unwrap_or_default()
}

fn counts_fields(c: &Counts) -> Vec<String> {
    let n = |v: u32| v.to_string();
    vec![
        n(c.booked),
        n(c.held),
        n(c.cancelled),
        n(c.cancelled_by_student),
        n(c.cancelled_by_coach),
        n(c.cancelled_late),
        n(c.no_shows),
        n(c.attended),
        n(c.new_students),
        n(c.returning_students),
        n(c.conversions),
        hours(c.booked_minutes),
        hours(c.available_minutes),
        percent(c.utilisation()),
    ]
}

/// The table as CSV text.
pub fn table_text(report: &Report, table: Table) -> String {
    let mut out = String::new();
    let header = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    match table {
        Table::Weekly => {
            line(
                &mut out,
                &header(&[
                    "week_start", "booked", "held", "cancelled", "cancelled_by_student", "cancelled_by_coach", "cancelled_late", "no_shows",
                    "attended", "new_students", "returning_students", "conversions", "booked_hours", "available_hours", "utilisation_percent",
                ]),
            );
            for (monday, c) in &report.weeks {
                let mut fields = vec![monday.to_string()];
                fields.extend(counts_fields(c));
                line(&mut out, &fields);
            }
            let mut total = vec!["total".to_string()];
            total.extend(counts_fields(&report.totals));
            line(&mut out, &total);
        }
        Table::Hours => {
            let mut head = vec!["weekday".to_string()];
            head.extend((0..24).map(|h| format!("{h:02}:00")));
            line(&mut out, &head);
            for (day, row) in super::page::WEEKDAYS.iter().zip(&report.hours) {
                let mut fields = vec![day.to_string()];
                fields.extend(row.iter().map(u32::to_string));
                line(&mut out, &fields);
            }
        }
        Table::Students => {
            line(&mut out, &header(&["coach", "email", "name", "first_booked", "booked", "held", "cancelled", "no_shows", "new", "converted"]));
            for s in &report.students {
                line(
                    &mut out,
                    &[
                        s.coach.clone(),
                        s.email.clone(),
                        s.name.clone(),
                        s.first_booked.format("%Y-%m-%d").to_string(),
                        s.booked.to_string(),
                        s.held.to_string(),
                        s.cancelled.to_string(),
                        s.no_shows.to_string(),
                        if s.new { "yes" } else { "no" }.to_string(),
                        if s.converted { "yes" } else { "no" }.to_string(),
                    ],
                );
            }
        }
    }
    out
}

/// The download of one table.
pub fn response(report: &Report, table: Table) -> Response<Body> {
    let name = match table {
        Table::Weekly => "weekly",
        Table::Hours => "hours",
        Table::Students => "students",
    };
    let mut resp = Response::new(Body::new(Bytes::from(table_text(report, table))));
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let file = format!("attachment; filename=\"analytics-{name}-{}-{}.csv\"", report.period.from, report.period.to);
    if let Ok(v) = HeaderValue::from_str(&file) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    resp
}

/// Prices as `€ 120.50`.
pub fn price_text(currency: &str, cents: i64) -> String {
    if currency.is_empty() {
        format_cents(cents)
    } else {
        format!("{currency} {}", format_cents(cents))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(cell("plain"), "\"plain\"");
        assert_eq!(cell("say \"hi\", then go"), "\"say \"\"hi\"\", then go\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        for risky in ["+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(cell(risky).starts_with("\"'"), "{risky:?}");
        }
        assert_eq!(cell("line\nbreak"), "\"line\nbreak\"");
    }

    #[test]
    fn hours_and_percentages_read_plainly() {
        assert_eq!(hours(90), "1.50");
        assert_eq!(percent(Some(0.357)), "35.7");
        assert_eq!(percent(None), "");
        assert_eq!(price_text("€", 4000), "€ 40.00");
        assert_eq!(price_text("", 250), "2.50");
    }
}
