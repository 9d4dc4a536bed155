//! `CALDAV:schedule-response` (RFC 6638 §10.1): the answer to a POST to
//! the schedule outbox, one `CALDAV:response` per recipient.
//!
//! May import: [`super::document`] and `dav::xml`'s names.

use super::super::{PropName, XmlNode};
use super::document::document;

/// What one recipient's `CALDAV:response` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRecipient {
    /// The calendar user address, as the request named it.
    pub recipient: String,
    /// An iTIP REQUEST-STATUS, e.g. `2.0;Success`.
    pub request_status: String,
    /// The iTIP reply (`calendar-data`), when there is one.
    pub calendar_data: Option<String>,
}

/// The `schedule-response` document.
pub fn schedule_response(recipients: &[ScheduleRecipient]) -> String {
    let cal = PropName::caldav;
    let responses = recipients
        .iter()
        .map(|r| {
            let mut children = vec![
                XmlNode::element(cal("recipient"), vec![XmlNode::href(r.recipient.clone())]),
                XmlNode::text_element(cal("request-status"), r.request_status.clone()),
            ];
            if let Some(data) = &r.calendar_data {
                children.push(XmlNode::text_element(cal("calendar-data"), data.clone()));
            }
            XmlNode::element(cal("response"), children)
        })
        .collect();
    document(&XmlNode::element(cal("schedule-response"), responses))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_response_per_recipient_with_escaped_data() {
        let xml = schedule_response(&[
            ScheduleRecipient { recipient: "mailto:a@x".into(), request_status: "2.0;Success".into(), calendar_data: Some("A<B".into()) },
            ScheduleRecipient { recipient: "mailto:b@x".into(), request_status: "3.7;Invalid calendar user".into(), calendar_data: None },
        ]);
        assert!(xml.contains("<C:schedule-response"), "{xml}");
        assert_eq!(xml.matches("<C:response>").count(), 2, "{xml}");
        assert!(xml.contains("<C:recipient><D:href>mailto:a@x</D:href></C:recipient>"), "{xml}");
        assert!(xml.contains("<C:calendar-data>A&lt;B</C:calendar-data>"), "{xml}");
        assert!(xml.contains("<C:request-status>3.7;Invalid calendar user</C:request-status>"), "{xml}");
    }
}
