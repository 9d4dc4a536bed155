//! The analytics page model: the report's numbers as strings, and the
//! geometry of its three charts (sessions per week as bars, utilisation
//! per week as a line, the busiest hours as a heat grid) as plain numbers
//! that `templates/analytics.html` lays out as inline SVG, each chart with
//! `role="img"`, a `<title>` and `<desc>`, its values written as text in
//! the chart, and the same numbers in a table beside it.

use askama::Template;

use super::csv::{hours, percent, price_text};
use crate::analytics::Report;

pub const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// Most student rows shown on the page (all of them are in the download).
const STUDENTS_SHOWN: usize = 100;

/// Width of the weekly charts' plot area per week, and their height.
const WEEK_WIDTH: u32 = 44;
const PLOT_HEIGHT: u32 = 160;
const PLOT_TOP: u32 = 24;
const PLOT_LEFT: u32 = 40;

pub struct WeekRow {
    pub label: String,
    pub booked: u32,
    pub held: u32,
    pub cancelled: u32,
    pub cancelled_by_student: u32,
    pub cancelled_by_coach: u32,
    pub cancelled_late: u32,
    pub no_shows: u32,
    pub attended: u32,
    pub new_students: u32,
    pub returning_students: u32,
    pub conversions: u32,
    pub booked_hours: String,
    pub available_hours: String,
    /// e.g. `35.7%`, or `–` without open time.
    pub utilisation: String,
}

/// One bar: its box and its value written above it.
pub struct Bar {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    pub value: u32,
    pub text_x: u32,
    pub text_y: u32,
    pub label: String,
    pub label_y: u32,
}

/// One point of the utilisation line, with its value as text.
pub struct Point {
    pub x: u32,
    pub y: u32,
    pub text: String,
    pub label: String,
}

/// One cell of the heat grid: its box, its count as text, and a shade
/// (1–4, darker for more; the count is always written too).
pub struct Cell {
    pub x: u32,
    pub y: u32,
    pub count: u32,
    pub shade: u8,
}

pub struct HeatRow {
    pub day: &'static str,
    pub y: u32,
    pub cells: Vec<Cell>,
    pub counts: Vec<u32>,
}

pub struct StudentLine {
    pub coach: String,
    pub email: String,
    pub name: String,
    pub first_booked: String,
    pub booked: u32,
    pub held: u32,
    pub cancelled: u32,
    pub no_shows: u32,
    pub new: &'static str,
    pub converted: &'static str,
}

#[derive(Template)]
#[template(path = "analytics.html")]
pub struct AnalyticsPage {
    pub title: String,
    pub site_name: String,
    pub from: String,
    pub to: String,
    /// `?from=…&to=…` (and `coach=`), for the download links.
    pub query: String,
    pub csv_base: String,
    pub coach_param: Option<String>,
    pub totals: WeekRow,
    pub weeks: Vec<WeekRow>,
    pub lead_median: String,
    pub lead_p90: String,
    pub lead_samples: usize,
    pub prices: Vec<(String, u32)>,
    pub unpriced_sessions: u32,
    pub chart_width: u32,
    pub chart_height: u32,
    pub axis_y: u32,
    pub bars: Vec<Bar>,
    pub bars_max: u32,
    pub bars_desc: String,
    pub points: Vec<Point>,
    pub polyline: String,
    pub line_desc: String,
    pub heat: Vec<HeatRow>,
    pub heat_hours: Vec<(u32, String)>,
    pub heat_desc: String,
    pub students: Vec<StudentLine>,
    pub students_total: usize,
}

fn week_row(label: String, c: &crate::analytics::Counts) -> WeekRow {
    WeekRow {
        label,
        booked: c.booked,
        held: c.held,
        cancelled: c.cancelled,
        cancelled_by_student: c.cancelled_by_student,
        cancelled_by_coach: c.cancelled_by_coach,
        cancelled_late: c.cancelled_late,
        no_shows: c.no_shows,
        attended: c.attended,
        new_students: c.new_students,
        returning_students: c.returning_students,
        conversions: c.conversions,
        booked_hours: hours(c.booked_minutes),
        available_hours: hours(c.available_minutes),
        utilisation: match percent(c.utilisation()) {
            p if p.is_empty() => "–".to_string(),
            p => format!("{p}%"),
        },
    }
}

fn duration_text(d: Option<chrono::Duration>) -> String {
    match d {
        None => "–".into(),
        Some(d) if d.num_hours() >= 48 => format!("{} days", d.num_days()),
        Some(d) if d.num_minutes() >= 120 => format!("{} hours", d.num_hours()),
        Some(d) => format!("{} minutes", d.num_minutes()),
    }
}

impl AnalyticsPage {
    pub fn new(report: &Report, title: String, base: &str, coach: Option<&str>, site_name: &str) -> AnalyticsPage {
        let n = report.weeks.len() as u32;
        let chart_width = PLOT_LEFT + n * WEEK_WIDTH + 10;
        let axis_y = PLOT_TOP + PLOT_HEIGHT;
        let bars_max = report.weeks.iter().map(|(_, c)| c.held).max().unwrap_or(0).max(1);
        let bars = report
            .weeks
            .iter()
            .enumerate()
            .map(|(i, (monday, c))| {
                let height = c.held * PLOT_HEIGHT / bars_max;
                let x = PLOT_LEFT + i as u32 * WEEK_WIDTH + 6;
                Bar {
                    x,
                    y: axis_y - height,
                    width: WEEK_WIDTH - 12,
                    height,
                    value: c.held,
                    text_x: x + (WEEK_WIDTH - 12) / 2,
                    text_y: axis_y - height - 4,
                    label: monday.format("%d %b").to_string(),
                    label_y: axis_y + 16,
                }
            })
            .collect();
        let mut points = Vec::new();
        for (i, (monday, c)) in report.weeks.iter().enumerate() {
            let Some(u) = c.utilisation() else { continue };
            let y = axis_y - ((u.min(1.0) * f64::from(PLOT_HEIGHT)).round() as u32);
            points.push(Point {
                x: PLOT_LEFT + i as u32 * WEEK_WIDTH + WEEK_WIDTH / 2,
                y,
                text: format!("{}%", percent(Some(u))),
                label: monday.format("%d %b").to_string(),
            });
        }
        let polyline = points.iter().map(|p| format!("{},{}", p.x, p.y)).collect::<Vec<_>>().join(" ");
        let busiest = report.hours.iter().flatten().copied().max().unwrap_or(0);
        let heat = WEEKDAYS
            .iter()
            .zip(&report.hours)
            .enumerate()
            .map(|(d, (day, row))| HeatRow {
                day,
                y: 20 + d as u32 * 24,
                counts: row.to_vec(),
                cells: row
                    .iter()
                    .enumerate()
                    .map(|(h, &count)| Cell {
                        x: 90 + h as u32 * 28,
                        y: 20 + d as u32 * 24,
                        count,
                        shade: if count == 0 || busiest == 0 { 0 } else { (1 + (count * 3) / busiest).min(4) as u8 },
                    })
                    .collect(),
            })
            .collect();
        let weeks: Vec<WeekRow> = report.weeks.iter().map(|(m, c)| week_row(format!("week of {}", m.format("%Y-%m-%d")), c)).collect();
        let most = report.weeks.iter().max_by_key(|(_, c)| c.held);
        let bars_desc = match most {
            Some((m, c)) if c.held > 0 => format!(
                "{} sessions held over {} weeks; the most, {}, in the week of {}. The table below has every week's numbers.",
                report.totals.held,
                n,
                c.held,
                m.format("%Y-%m-%d")
            ),
            _ => format!("No sessions held in these {n} weeks."),
        };
        let line_desc = format!(
            "Utilisation over the period: {}. Weeks without open time have no point. The table below has every week's figure.",
            week_row(String::new(), &report.totals).utilisation
        );
        let heat_desc = match busiest {
            0 => "No sessions in this period.".to_string(),
            _ => {
                let (d, h) = (0..7)
                    .flat_map(|d| (0..24).map(move |h| (d, h)))
                    .max_by_key(|&(d, h)| (report.hours[d][h], std::cmp::Reverse(d * 24 + h)))
                    .unwrap_or((0, 0));
                format!("The busiest hour is {} {:02}:00 with {} sessions. The table below has every hour's count.", WEEKDAYS[d], h, busiest)
            }
        };
        let mut query = format!("from={}&to={}", report.period.from, report.period.to);
        if let Some(c) = coach {
            query.push_str(&format!("&coach={}", super::super::respond::enc(c)));
        }
        AnalyticsPage {
            title,
            site_name: site_name.to_string(),
            from: report.period.from.to_string(),
            to: report.period.to.to_string(),
            query,
            csv_base: format!("{base}.csv"),
            coach_param: coach.map(str::to_string),
            totals: week_row("whole period".into(), &report.totals),
            weeks,
            lead_median: duration_text(report.lead_time.median),
            lead_p90: duration_text(report.lead_time.p90),
            lead_samples: report.lead_time.samples,
            prices: report.prices.iter().map(|p| (price_text(&p.currency, p.cents), p.sessions)).collect(),
            unpriced_sessions: report.unpriced_sessions,
            chart_width,
            chart_height: axis_y + 28,
            axis_y,
            bars,
            bars_max,
            bars_desc,
            points,
            polyline,
            line_desc,
            heat,
            heat_hours: (0..24).map(|h| (90 + h * 28 + 14, format!("{h:02}"))).collect(),
            heat_desc,
            students: report
                .students
                .iter()
                .take(STUDENTS_SHOWN)
                .map(|s| StudentLine {
                    coach: s.coach.clone(),
                    email: s.email.clone(),
                    name: s.name.clone(),
                    first_booked: s.first_booked.format("%Y-%m-%d").to_string(),
                    booked: s.booked,
                    held: s.held,
                    cancelled: s.cancelled,
                    no_shows: s.no_shows,
                    new: if s.new { "new" } else { "returning" },
                    converted: if s.converted { "yes" } else { "no" },
                })
                .collect(),
            students_total: report.students.len(),
        }
    }
}
