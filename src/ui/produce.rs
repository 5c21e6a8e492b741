//! The produce form: topic, partition, key, value (multi-line), headers (one name=value a line)
//! and the schema the value is encoded with.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::panel;
use super::theme::Theme;
use crate::app::state::State;
use crate::app::views::produce::FIELD_NAMES;
use crate::decode::text::{escape_str, width};

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let form = &state.produce;
    let areas: [Rect; 7] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(3),
        Constraint::Length(3),
        Constraint::Min(4),
        Constraint::Length(4),
        Constraint::Length(3),
        Constraint::Length(1),
    ])
    .areas(area);
    let hints = [
        " Topic ",
        " Partition (empty: by key hash) ",
        " Key (empty: null) ",
        " Value (Ctrl+F checks and formats JSON) ",
        " Headers (name=value, one a line) ",
        " Value schema (SUBJECT, SUBJECT@N or id:N encodes the JSON; empty: as typed) ",
    ];
    for (i, field) in form.fields.iter().enumerate() {
        let focused = form.focus == i;
        let block = panel(hints[i], focused, theme);
        let inner = block.inner(areas[i]);
        let (cursor_line, cursor_col) = field.cursor_position();
        // Keep the cursor's line in view in the multi-line fields.
        let scroll = (cursor_line as u16).saturating_sub(inner.height.saturating_sub(1));
        let lines: Vec<Line> = field
            .text()
            .split('\n')
            .map(|l| Line::from(escape_str(l)))
            .collect();
        frame.render_widget(
            Paragraph::new(lines).scroll((scroll, 0)).block(block),
            areas[i],
        );
        if focused && inner.width > 0 && inner.height > 0 {
            let line_text = field
                .text()
                .split('\n')
                .nth(cursor_line)
                .unwrap_or_default();
            let before: String = line_text.chars().take(cursor_col).collect();
            let x = inner.x + (width(&escape_str(&before)) as u16).min(inner.width - 1);
            let y = inner.y + (cursor_line as u16 - scroll).min(inner.height - 1);
            frame.set_cursor_position((x, y));
        }
    }
    let status = if form.sending {
        Line::styled("sending…", theme.warn)
    } else {
        match &form.result {
            Some(Ok(text)) => Line::styled(escape_str(text), theme.good),
            Some(Err(text)) => Line::styled(escape_str(text), theme.bad),
            None => Line::styled(
                format!(
                    "Ctrl+S sends · Tab moves to {}",
                    FIELD_NAMES[(form.focus + 1) % FIELD_NAMES.len()]
                ),
                theme.dim,
            ),
        }
    };
    frame.render_widget(Paragraph::new(status), areas[6]);
}
