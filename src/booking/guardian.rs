//! Guardians (issue 11 §4): a parent who follows their child's lessons.
//! Pure rules: whether an event type asks for a guardian
//! ([`GuardianPolicy`], the keys `guardian` and `guardian_can_manage`),
//! the guardian stored with a booking ([`Guardian`]), the check of what a
//! form or the API gave ([`check_guardian`]), and who a manage link
//! stands for ([`ManageRole`]: the student, or the guardian with their
//! own link, read-only when the event type says so).
//!
//! May import: nothing of the crate but the booking domain's own types.

use serde::{Deserialize, Serialize};

/// Whether the booking form asks for a guardian (`guardian = "off" |
/// "optional" | "required"`, per coach and per event type; the event
/// type's wins).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum GuardianPolicy {
    /// No guardian fields (the default).
    #[default]
    Off,
    /// The form offers the fields; they may stay empty.
    Optional,
    /// A booking needs a guardian's name and email.
    Required,
}

impl GuardianPolicy {
    /// The policy a config value names; `None` for anything else.
    pub fn parse(text: &str) -> Option<GuardianPolicy> {
        match text {
            "off" => Some(GuardianPolicy::Off),
            "optional" => Some(GuardianPolicy::Optional),
            "required" => Some(GuardianPolicy::Required),
            _ => None,
        }
    }

    /// The config word (and the API's `guardian` of an event type).
    pub fn name(self) -> &'static str {
        match self {
            GuardianPolicy::Off => "off",
            GuardianPolicy::Optional => "optional",
            GuardianPolicy::Required => "required",
        }
    }

    /// Whether the form shows the guardian fields.
    pub fn asks(self) -> bool {
        self != GuardianPolicy::Off
    }
}

/// The guardian of a booking, stored with it (postcard, inside
/// [`super::Booking`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Guardian {
    pub name: String,
    pub email: String,
}

/// Who a manage link stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManageRole {
    /// The student's own link: everything the notice rules allow.
    Student,
    /// The guardian's link; `can_manage` false: the booking is shown, but
    /// it cannot be cancelled or moved with this link.
    Guardian { can_manage: bool },
}

impl ManageRole {
    /// Whether this link may cancel or reschedule (still under the notice rules).
    pub fn may_change(self) -> bool {
        !matches!(self, ManageRole::Guardian { can_manage: false })
    }
}

/// Why the guardian given is refused; `field` is `guardian` for the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct GuardianRefused {
    pub reason: String,
}

/// What a form or the API gave as the guardian: both empty means none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuardianInput {
    pub name: String,
    pub email: String,
}

/// Checks `given` against `policy`: with `Off` any input is ignored;
/// `Required` needs a name and an address; an address must pass
/// `valid_email` (the student's check) and differ from the student's
/// (`student_email`), so nobody gets every mail twice. Names are cleaned
/// like the student's (control characters dropped, at most 200).
pub fn check_guardian(
    policy: GuardianPolicy,
    given: Option<&GuardianInput>,
    student_email: &str,
    valid_email: impl Fn(&str) -> bool,
) -> Result<Option<Guardian>, GuardianRefused> {
    let refuse = |reason: &str| Err(GuardianRefused { reason: reason.to_string() });
    if policy == GuardianPolicy::Off {
        return Ok(None);
    }
    let name: String = given.map(|g| g.name.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>()).unwrap_or_default();
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    let email = given.map(|g| g.email.trim().to_string()).unwrap_or_default();
    if name.is_empty() && email.is_empty() {
        return match policy {
            GuardianPolicy::Required => refuse("please give a parent's or guardian's name and email"),
            _ => Ok(None),
        };
    }
    if name.is_empty() || name.chars().count() > 200 {
        return refuse("please give the guardian's name (at most 200 characters)");
    }
    if !valid_email(&email) {
        return Err(GuardianRefused { reason: format!("the guardian's email `{email}` is not an email address") });
    }
    if email.eq_ignore_ascii_case(student_email.trim()) {
        return refuse("the guardian's email must differ from the student's");
    }
    Ok(Some(Guardian { name, email }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email_ok(e: &str) -> bool {
        e.contains('@') && e.contains('.') && !e.contains(' ')
    }

    fn input(name: &str, email: &str) -> GuardianInput {
        GuardianInput { name: name.into(), email: email.into() }
    }

    #[test]
    fn policies_parse_from_their_config_words() {
        for p in [GuardianPolicy::Off, GuardianPolicy::Optional, GuardianPolicy::Required] {
            assert_eq!(GuardianPolicy::parse(p.name()), Some(p));
        }
        assert_eq!(GuardianPolicy::parse("yes"), None);
        assert_eq!(GuardianPolicy::default(), GuardianPolicy::Off);
        assert!(!GuardianPolicy::Off.asks() && GuardianPolicy::Optional.asks() && GuardianPolicy::Required.asks());
    }

    #[test]
    fn required_refuses_a_booking_without_a_guardian() {
        let err = check_guardian(GuardianPolicy::Required, None, "kid@x.org", email_ok).unwrap_err();
        assert!(err.reason.contains("guardian"), "{err}");
        assert!(check_guardian(GuardianPolicy::Required, Some(&input(" ", "")), "kid@x.org", email_ok).is_err());
        let g = check_guardian(GuardianPolicy::Required, Some(&input(" Pat\r\nParent ", " pat@x.org ")), "kid@x.org", email_ok).unwrap();
        assert_eq!(g, Some(Guardian { name: "Pat Parent".into(), email: "pat@x.org".into() }));
    }

    #[test]
    fn optional_takes_none_or_a_whole_guardian() {
        assert_eq!(check_guardian(GuardianPolicy::Optional, None, "kid@x.org", email_ok), Ok(None));
        assert_eq!(check_guardian(GuardianPolicy::Optional, Some(&input("", "")), "kid@x.org", email_ok), Ok(None));
        assert!(check_guardian(GuardianPolicy::Optional, Some(&input("Pat", "")), "kid@x.org", email_ok).is_err());
        assert!(check_guardian(GuardianPolicy::Optional, Some(&input("", "pat@x.org")), "kid@x.org", email_ok).is_err());
        let err = check_guardian(GuardianPolicy::Optional, Some(&input("Pat", "not an address")), "kid@x.org", email_ok).unwrap_err();
        assert!(err.reason.contains("not an email address"), "{err}");
    }

    #[test]
    fn off_ignores_what_was_given() {
        assert_eq!(check_guardian(GuardianPolicy::Off, Some(&input("Pat", "pat@x.org")), "kid@x.org", email_ok), Ok(None));
    }

    #[test]
    fn the_guardian_is_not_the_student() {
        let err = check_guardian(GuardianPolicy::Optional, Some(&input("Pat", "KID@x.org")), "kid@x.org", email_ok).unwrap_err();
        assert!(err.reason.contains("differ"), "{err}");
    }

    #[test]
    fn a_read_only_guardian_link_may_not_change_the_booking() {
        assert!(ManageRole::Student.may_change());
        assert!(ManageRole::Guardian { can_manage: true }.may_change());
        assert!(!ManageRole::Guardian { can_manage: false }.may_change());
    }
}
