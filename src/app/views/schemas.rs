//! `:schemas`: the schema registry's subjects; a subject's versions, compatibility level, the
//! text of a version and its diff against the version before.

use similar::{ChangeTag, TextDiff};

use super::super::action::Action;
use super::super::event::Command;
use super::super::list::ListSelection;
use super::super::state::State;
use super::View;
use crate::decode::text::escape_str;
use crate::decode::{Role, StyledLine};
use crate::schema::{SubjectDetail, SubjectSummary};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    Subjects,
    Text,
}

#[derive(Debug, Clone, Default)]
pub struct SchemasView {
    /// The registry's compatibility level and subjects; None while loading.
    pub subjects: Option<Result<(String, Vec<SubjectSummary>), String>>,
    pub list: ListSelection,
    /// The subject opened with Enter, while loading and once loaded.
    pub opened: Option<String>,
    pub detail: Option<Result<SubjectDetail, String>>,
    /// Which of the detail's versions is shown.
    pub version: usize,
    /// Show the change from the version before instead of the text.
    pub diff: bool,
    pub focus: Focus,
    pub scroll: u16,
    /// The right pane, made when what it shows changes.
    lines: Vec<StyledLine>,
}

impl SchemasView {
    pub fn lines(&self) -> &[StyledLine] {
        &self.lines
    }

    pub fn summaries(&self) -> &[SubjectSummary] {
        match &self.subjects {
            Some(Ok((_, list))) => list,
            _ => &[],
        }
    }

    fn refresh_lines(&mut self) {
        self.scroll = 0;
        self.lines = match &self.detail {
            None => Vec::new(),
            Some(Err(e)) => vec![StyledLine::styled(Role::Warn, escape_str(e))],
            Some(Ok(detail)) => detail_lines(detail, self.version, self.diff),
        };
    }
}

fn detail_lines(detail: &SubjectDetail, index: usize, diff: bool) -> Vec<StyledLine> {
    let Some(shown) = detail.versions.get(index) else {
        return vec![StyledLine::plain("no versions")];
    };
    let numbers: Vec<String> = detail
        .versions
        .iter()
        .map(|v| {
            if v.version == shown.version {
                format!("[v{}]", v.version)
            } else {
                format!("v{}", v.version)
            }
        })
        .collect();
    let mut lines = vec![
        StyledLine::styled(
            Role::Heading,
            format!(
                "{}  ·  {}  ·  compatibility {}",
                escape_str(&detail.name),
                shown.kind.name(),
                escape_str(&detail.compatibility)
            ),
        ),
        StyledLine::plain(format!(
            "version {} of {}  ·  schema id {}   versions: {}",
            shown.version,
            detail.versions.len(),
            shown.id,
            numbers.join(" ")
        )),
    ];
    for r in &shown.references {
        lines.push(StyledLine::styled(
            Role::Dim,
            format!("references {}", escape_str(r)),
        ));
    }
    lines.push(StyledLine::styled(Role::Dim, "─".repeat(20)));
    let previous = index.checked_sub(1).and_then(|i| detail.versions.get(i));
    match (diff, previous) {
        (true, Some(before)) => {
            lines.push(StyledLine::styled(
                Role::Dim,
                format!("changes from v{} to v{}", before.version, shown.version),
            ));
            let changes = TextDiff::from_lines(&before.text, &shown.text);
            for change in changes.iter_all_changes() {
                let text = escape_str(change.value().trim_end_matches('\n'));
                lines.push(match change.tag() {
                    ChangeTag::Delete => StyledLine::styled(Role::Warn, format!("- {text}")),
                    ChangeTag::Insert => StyledLine::styled(Role::JsonString, format!("+ {text}")),
                    ChangeTag::Equal => StyledLine::plain(format!("  {text}")),
                });
            }
        }
        (true, None) => {
            lines.push(StyledLine::styled(
                Role::Dim,
                format!(
                    "v{} is the first version: nothing to compare",
                    shown.version
                ),
            ));
            lines.extend(shown.text.lines().map(|l| StyledLine::plain(escape_str(l))));
        }
        (false, _) => lines.extend(shown.text.lines().map(|l| StyledLine::plain(escape_str(l)))),
    }
    lines
}

/// Opens the view and asks for the subjects.
pub fn open(state: &mut State) -> Vec<Command> {
    state.views = vec![View::Overview, View::Schemas];
    state.schemas.subjects = None;
    vec![Command::LoadSubjects]
}

pub fn on_subjects(state: &mut State, result: Result<(String, Vec<SubjectSummary>), String>) {
    let view = &mut state.schemas;
    view.subjects = Some(result);
    let len = view.summaries().len();
    view.list.selected = view.list.selected.min(len.saturating_sub(1));
}

pub fn on_subject(state: &mut State, name: String, result: Result<SubjectDetail, String>) {
    let view = &mut state.schemas;
    if view.opened.as_deref() != Some(name.as_str()) {
        return;
    }
    view.version = match &result {
        Ok(detail) => detail.versions.len().saturating_sub(1),
        Err(_) => 0,
    };
    view.detail = Some(result);
    view.refresh_lines();
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Command> {
    let rows = state.page();
    let view = &mut state.schemas;
    match action {
        a if a.is_navigation() => match view.focus {
            Focus::Subjects => {
                let len = view.summaries().len();
                view.list.step(action, len, rows);
            }
            Focus::Text => {
                let mut scroll = ListSelection {
                    selected: view.scroll as usize,
                    offset: 0,
                };
                scroll.step(action, view.lines.len(), rows);
                view.scroll = scroll.selected as u16;
            }
        },
        Action::NextPane | Action::PrevPane => {
            view.focus = match view.focus {
                Focus::Subjects => Focus::Text,
                Focus::Text => Focus::Subjects,
            };
        }
        Action::Open => {
            if let Some(subject) = view.summaries().get(view.list.selected) {
                let name = subject.name.clone();
                view.opened = Some(name.clone());
                view.detail = None;
                view.diff = false;
                view.refresh_lines();
                return vec![Command::LoadSubject(name)];
            }
        }
        Action::PrevVersion | Action::NextVersion => {
            if let Some(Ok(detail)) = &view.detail {
                let last = detail.versions.len().saturating_sub(1);
                view.version = if action == Action::PrevVersion {
                    view.version.saturating_sub(1)
                } else {
                    (view.version + 1).min(last)
                };
                view.refresh_lines();
            }
        }
        Action::ToggleDiff => {
            view.diff = !view.diff;
            view.refresh_lines();
        }
        _ => {}
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{SchemaKind, VersionText};

    fn detail() -> SubjectDetail {
        let version = |v: i32, text: &str| VersionText {
            version: v,
            id: v as u32 + 10,
            kind: SchemaKind::Avro,
            text: text.to_owned(),
            references: vec![],
        };
        SubjectDetail {
            name: "orders-value".into(),
            compatibility: "BACKWARD".into(),
            versions: vec![
                version(1, "{\n  \"a\": 1\n}"),
                version(2, "{\n  \"a\": 1,\n  \"b\": 2\n}"),
            ],
        }
    }

    #[test]
    fn the_diff_marks_what_changed_between_versions() {
        let lines: Vec<String> = detail_lines(&detail(), 1, true)
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert!(lines[0].contains("compatibility BACKWARD"));
        assert!(lines[1].contains("schema id 12") && lines[1].contains("[v2]"));
        assert!(lines.iter().any(|l| l == "changes from v1 to v2"));
        assert!(lines.iter().any(|l| l == "-   \"a\": 1"));
        assert!(lines.iter().any(|l| l == "+   \"a\": 1,"));
        assert!(lines.iter().any(|l| l == "+   \"b\": 2"));
        assert!(lines.iter().any(|l| l == "  }"));
        let first: Vec<String> = detail_lines(&detail(), 0, true)
            .iter()
            .map(|l| l.to_string())
            .collect();
        assert!(first.iter().any(|l| l.contains("first version")));
    }
}
