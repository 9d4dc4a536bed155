//! (D) Questions on the booking form (issue 11 §5): an event type's
//! `[[coach.event_type.question]]` blocks ([`Question`]) and the one check
//! of a student's answers ([`check_answers`]), shared by the pages and the
//! JSON API. Pure: no I/O, no clock.

use std::collections::BTreeMap;

/// What kind of field a question is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionKind {
    Text,
    Textarea,
    Select,
    Checkbox,
    Phone,
}

impl QuestionKind {
    /// `"text"`, `"textarea"`, `"select"`, `"checkbox"`, `"phone"`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "text" => QuestionKind::Text,
            "textarea" => QuestionKind::Textarea,
            "select" => QuestionKind::Select,
            "checkbox" => QuestionKind::Checkbox,
            "phone" => QuestionKind::Phone,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            QuestionKind::Text => "text",
            QuestionKind::Textarea => "textarea",
            QuestionKind::Select => "select",
            QuestionKind::Checkbox => "checkbox",
            QuestionKind::Phone => "phone",
        }
    }

    /// The longest answer when the question sets no `max_length`.
    fn default_max(self) -> usize {
        match self {
            QuestionKind::Textarea => 2000,
            QuestionKind::Phone => 32,
            _ => 200,
        }
    }
}

/// One question of an event type's booking form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// `[a-z0-9_-]+`, unique in the event type; the key of its answer.
    pub id: String,
    pub label: String,
    pub kind: QuestionKind,
    pub required: bool,
    /// The choices of a `select` (non-empty there, empty otherwise).
    pub options: Vec<String>,
    /// Longest answer in characters (text, textarea, phone).
    pub max_length: Option<usize>,
}

impl Question {
    /// The longest answer accepted.
    pub fn limit(&self) -> usize {
        self.max_length.unwrap_or_else(|| self.kind.default_max())
    }
}

/// Why an answer was refused: the question's id and a sentence for the
/// student.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{label}: {reason}")]
pub struct AnswerError {
    pub question: String,
    pub label: String,
    pub reason: String,
}

/// Checks `given` (question id → what the student sent; a checkbox's value
/// is anything but empty, "no", "false", "off" when ticked) against
/// `questions`, and returns the answers to keep, in question order
/// (unanswered optional questions left out; a checkbox is "yes" or "no").
/// Ids no question has are refused, so a client learns of a typo.
pub fn check_answers(questions: &[Question], given: &BTreeMap<String, String>) -> Result<Vec<(String, String)>, AnswerError> {
    if let Some(unknown) = given.keys().find(|k| !questions.iter().any(|q| &q.id == *k)) {
        let shown: String = unknown.chars().take(64).collect();
        return Err(AnswerError { question: shown.clone(), label: shown, reason: "there is no such question".into() });
    }
    let mut out = Vec::new();
    for q in questions {
        let fail = |reason: String| AnswerError { question: q.id.clone(), label: q.label.clone(), reason };
        let raw = given.get(&q.id).map(|v| clean(v, q.kind)).unwrap_or_default();
        if q.kind == QuestionKind::Checkbox {
            let ticked = !raw.is_empty() && !["no", "false", "off", "0"].contains(&raw.to_ascii_lowercase().as_str());
            if q.required && !ticked {
                return Err(fail("please tick this box".into()));
            }
            out.push((q.id.clone(), if ticked { "yes" } else { "no" }.to_string()));
            continue;
        }
        if raw.is_empty() {
            if q.required {
                return Err(fail("please answer this question".into()));
            }
            continue;
        }
        if raw.chars().count() > q.limit() {
            return Err(fail(format!("at most {} characters, please", q.limit())));
        }
        match q.kind {
            QuestionKind::Select if !q.options.iter().any(|o| *o == raw) => {
                return Err(fail(format!("choose one of: {}", q.options.join(", "))));
            }
            QuestionKind::Phone if !valid_phone(&raw) => {
                return Err(fail("a phone number uses digits, spaces and + - ( ) . only".into()));
            }
            _ => {}
        }
        out.push((q.id.clone(), raw));
    }
    Ok(out)
}

/// The answer without control characters (line breaks kept in a
/// textarea, made spaces elsewhere), trimmed.
fn clean(value: &str, kind: QuestionKind) -> String {
    let text: String = value
        .chars()
        .map(|c| if c == '\n' && kind != QuestionKind::Textarea { ' ' } else { c })
        .filter(|c| !c.is_control() || *c == '\n')
        .collect();
    text.trim().to_string()
}

/// Digits with `+ - ( ) .` and spaces, and at least five digits.
fn valid_phone(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) && s.chars().filter(char::is_ascii_digit).count() >= 5
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(id: &str, kind: QuestionKind, required: bool) -> Question {
        Question { id: id.into(), label: format!("Label {id}"), kind, required, options: vec![], max_length: None }
    }

    fn given(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn form() -> Vec<Question> {
        let mut subject = q("subject", QuestionKind::Select, true);
        subject.options = vec!["Algebra".into(), "Geometry".into()];
        let mut goal = q("goal", QuestionKind::Textarea, false);
        goal.max_length = Some(10);
        vec![subject, goal, q("phone", QuestionKind::Phone, false), q("terms", QuestionKind::Checkbox, true)]
    }

    #[test]
    fn good_answers_are_kept_in_question_order() {
        let got = check_answers(&form(), &given(&[("terms", "on"), ("subject", "Algebra"), ("phone", "+49 (30) 123-45")])).unwrap();
        assert_eq!(got, vec![("subject".into(), "Algebra".into()), ("phone".into(), "+49 (30) 123-45".into()), ("terms".into(), "yes".into())]);
    }

    #[test]
    fn each_refusal_names_its_question() {
        let err = |pairs: &[(&str, &str)]| check_answers(&form(), &given(pairs)).unwrap_err().question;
        assert_eq!(err(&[("terms", "on")]), "subject", "required");
        assert_eq!(err(&[("subject", "Chemistry"), ("terms", "on")]), "subject", "not an option");
        assert_eq!(err(&[("subject", "Algebra"), ("goal", "far too long"), ("terms", "on")]), "goal", "max_length");
        assert_eq!(err(&[("subject", "Algebra"), ("phone", "call me"), ("terms", "on")]), "phone");
        assert_eq!(err(&[("subject", "Algebra"), ("terms", "no")]), "terms", "a required box not ticked");
        assert_eq!(err(&[("subject", "Algebra"), ("terms", "on"), ("shoe_size", "42")]), "shoe_size", "unknown ids are refused");
    }

    #[test]
    fn control_characters_go_and_only_a_textarea_keeps_line_breaks() {
        let mut goal = q("goal", QuestionKind::Textarea, false);
        goal.max_length = None;
        let name = q("name", QuestionKind::Text, false);
        let got = check_answers(&[goal, name], &given(&[("goal", "a\nb\u{7}"), ("name", " x\ny\r ")])).unwrap();
        assert_eq!(got, vec![("goal".into(), "a\nb".into()), ("name".into(), "x y".into())]);
    }
}
