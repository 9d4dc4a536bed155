//! The component tree: iCalendar text → nested `BEGIN:NAME` … `END:NAME`
//! [`Component`]s holding their [`Property`] lines. Strict about structure:
//! unbalanced BEGIN/END, garbage lines or content after the end are refused.
//!
//! May import: [`super::contentline`] and the crate's `ical::Error`.

use super::contentline::{is_name_char, parse_content_line, unfold, Property};
use super::{Error, Result};

/// A component (`BEGIN:NAME` … `END:NAME`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Component {
    /// Upper case.
    pub name: String,
    pub props: Vec<Property>,
    pub children: Vec<Component>,
}

impl Component {
    pub fn prop(&self, name: &str) -> Option<&Property> {
        self.props.iter().find(|p| p.name == name)
    }

    pub fn props_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Property> + 'a {
        self.props.iter().filter(move |p| p.name == name)
    }

    pub fn has(&self, name: &str) -> bool {
        self.prop(name).is_some()
    }
}
/// Read iCalendar text into its single root component (whatever its name).
pub fn parse_components(bytes: &[u8]) -> Result<Component> {
    let unfolded = unfold(bytes);
    let text = String::from_utf8(unfolded).map_err(|_| Error::InvalidData("not UTF-8".into()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut stack: Vec<Component> = Vec::new();
    let mut root: Option<Component> = None;
    for (n, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        if root.is_some() {
            return Err(Error::InvalidData(format!("line {}: content after the end of the object", n + 1)));
        }
        let prop = parse_content_line(line)
            .ok_or_else(|| Error::InvalidData(format!("line {}: not a content line", n + 1)))?;
        match prop.name.as_str() {
            "BEGIN" => {
                let name = prop.value.trim().to_ascii_uppercase();
                if name.is_empty() || !name.chars().all(is_name_char) || stack.len() > 16 {
                    return Err(Error::InvalidData(format!("line {}: bad BEGIN", n + 1)));
                }
                stack.push(Component { name, ..Default::default() });
            }
            "END" => {
                let name = prop.value.trim().to_ascii_uppercase();
                let done = stack
                    .pop()
                    .ok_or_else(|| Error::InvalidData(format!("line {}: END without BEGIN", n + 1)))?;
                if done.name != name {
                    return Err(Error::InvalidData(format!(
                        "line {}: END:{name} closes {}",
                        n + 1,
                        done.name
                    )));
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            _ => match stack.last_mut() {
                Some(c) => c.props.push(prop),
                None => return Err(Error::InvalidData(format!("line {}: property outside a component", n + 1))),
            },
        }
    }
    if !stack.is_empty() {
        return Err(Error::InvalidData(format!("{} is not closed", stack[stack.len() - 1].name)));
    }
    root.ok_or_else(|| Error::InvalidData("empty".into()))
}
