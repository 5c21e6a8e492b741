//! The footer: the prompt being typed, the last notice, or the current mode's keys.
//!
//! A notice is never cut: it takes as many lines as it needs (up to a third of the screen), and
//! a prompt's label gives way to what is being typed, which always shows at the cursor.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use crate::app::keymap::{self, Mode};
use crate::app::prompt::{Prompt, PromptKind};
use crate::app::state::{Notice, State};
use crate::decode::text::{escape_str, fit, width};

/// What the prompt asks, naming what it is about (the topic to delete, the config to change).
pub fn label(prompt: &Prompt) -> String {
    let target = prompt.target.as_deref().map(escape_str).unwrap_or_default();
    match prompt.kind {
        PromptKind::Command => ":".into(),
        PromptKind::TopicFilter => "filter topics: ".into(),
        PromptKind::MessageFilter => "filter (text or /regex/): ".into(),
        PromptKind::Offset => {
            "start at (offset, -N per partition, @unix_ms, RFC 3339 time, beginning, end): ".into()
        }
        PromptKind::WritePath if target.is_empty() => {
            "write shown records as JSON lines to: ".into()
        }
        PromptKind::WritePath => format!("write {target} as JSON lines to: "),
        PromptKind::SendMarked => format!("send {target} to topic: "),
        PromptKind::GroupFilter => "filter groups: ".into(),
        PromptKind::AclFilter => "filter ACLs (principal, operation, resource, host): ".into(),
        PromptKind::ResetTarget => {
            "reset to (earliest, latest, OFFSET, ±N, @time) [TOPIC[/P]]: ".into()
        }
        PromptKind::ResetConfirm => "type the group name to apply: ".into(),
        PromptKind::SearchTopic => "search the whole topic for (text or /regex/): ".into(),
        PromptKind::NewTopic => "new topic: NAME [PARTITIONS [REPLICATION]]: ".into(),
        PromptKind::ConfirmDeleteTopic => {
            format!("delete topic {target} and all its data? type its name: ")
        }
        PromptKind::AddPartitions => format!("partitions of {target} in all (more than now): "),
        PromptKind::EditConfig => format!(
            "new value of {target} (units as shown: 3d, 1 GiB, unlimited; `default` removes the topic's own): "
        ),
        PromptKind::EditBrokerConfig => format!(
            "new value of {target} on this broker (units as shown; `default` removes the broker's own): "
        ),
        PromptKind::ConfirmElect => {
            format!("move every leader of {target} back to its preferred replica? type its name: ")
        }
        PromptKind::ConfirmDeleteConnector => {
            format!("delete connector {target}, its tasks and config? type its name: ")
        }
        PromptKind::ConfirmDeleteGroup => {
            format!("delete group {target} and its committed offsets? type its name: ")
        }
        PromptKind::ConfirmAbortTransaction => {
            let (partition, start) = target.rsplit_once('@').unwrap_or((&target, "?"));
            format!("abort the transaction on {partition} from offset {start}? type {partition}: ")
        }
    }
}

/// The notice as lines `width` wide, nothing cut.
fn notice_lines<'a>(notice: &Notice, width: u16, theme: &Theme) -> Vec<Line<'a>> {
    let (text, style) = match notice {
        Notice::Info(t) => (t, theme.good),
        Notice::Error(t) => (t, theme.bad),
    };
    let text = escape_str(text);
    let pieces = text
        .split_inclusive(' ')
        .map(|w| Span::styled(format!(" {}", w.trim_end()), style))
        .collect();
    super::flow(pieces, width)
}

/// Rows the footer needs: one, or as many as the notice takes (at most a third of `screen`).
pub fn height(state: &State, screen: Rect, theme: &Theme) -> u16 {
    match (&state.prompt, &state.notice) {
        (None, Some(notice)) => {
            let lines = notice_lines(notice, screen.width, theme).len() as u16;
            lines.clamp(1, (screen.height / 3).max(1))
        }
        _ => 1,
    }
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    if let Some(prompt) = &state.prompt {
        render_prompt(frame, area, prompt, theme);
        return;
    }
    if let Some(notice) = &state.notice {
        let mut lines = notice_lines(notice, area.width, theme);
        if lines.len() > area.height as usize {
            // Longer than a third of the screen: the end says where the rest is.
            lines.truncate(area.height.saturating_sub(1) as usize);
            lines.push(Line::styled(
                fit(
                    "… the whole message is in the log panel (L)",
                    area.width as usize,
                ),
                theme.dim,
            ));
        }
        frame.render_widget(Paragraph::new(lines), area);
        return;
    }
    render_keys(frame, area, state, theme);
}

/// The label, then the input; when both do not fit, the label is cut with `…` and the input
/// keeps the part around the cursor.
fn render_prompt(frame: &mut Frame, area: Rect, prompt: &Prompt, theme: &Theme) {
    let room = area.width as usize;
    let text = escape_str(prompt.input.text());
    let before = escape_str(&prompt.input.text()[..prompt.input.cursor()]);
    let label = label(prompt);
    // The input gets at least half the line (all it needs when it is shorter).
    let input_room = (width(&text) + 1).min(room.div_ceil(2));
    let label = if width(&label) + input_room > room {
        fit(&label, room.saturating_sub(input_room))
    } else {
        label
    };
    let left = room.saturating_sub(width(&label));
    // Scrolled so the cursor stays on screen: the text before it, as much as fits.
    let skip = width(&before).saturating_sub(left.saturating_sub(1));
    let shown: String = {
        let mut skipped = 0;
        let mut out = String::new();
        for c in text.chars() {
            let w = width(&c.to_string());
            if skipped < skip {
                skipped += w;
                continue;
            }
            out.push(c);
        }
        fit(&out, left)
    };
    let mut spans = vec![Span::styled(label.clone(), theme.key), Span::raw(shown)];
    if let Some(hint) = &prompt.hint {
        spans.push(Span::styled(format!("   {}", escape_str(hint)), theme.dim));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    let column = (width(&label) + width(&before) - skip.min(width(&before))) as u16;
    let x = area.x + column.min(area.width.saturating_sub(1));
    frame.set_cursor_position((x, area.y));
}

/// Whole items only, as many as fit before `? help`, which always shows at the right.
fn render_keys(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let in_help = state.mode() == Mode::Help;
    let help = if in_help { "" } else { " ? help " };
    let room = (area.width as usize).saturating_sub(width(help));
    let mut spans = Vec::new();
    let mut used = 0;
    'tables: for table in keymap::tables(state.mode()) {
        for b in table
            .iter()
            .filter(|b| b.footer && (in_help || b.action != crate::app::action::Action::ToggleHelp))
        {
            let key = format!(" {}", keymap::key_label(b));
            let text = format!(" {} ", b.help);
            let needed = width(&key) + width(&text);
            if used + needed > room {
                break 'tables;
            }
            used += needed;
            spans.push(Span::styled(key, theme.key));
            spans.push(Span::raw(text));
        }
    }
    let [keys, right] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(width(help) as u16)])
            .areas(area);
    frame.render_widget(Paragraph::new(Line::from(spans)), keys);
    if in_help {
        return;
    }
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" ?", theme.key),
            Span::raw(" help "),
        ])),
        right,
    );
}
