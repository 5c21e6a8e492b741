//! The produce form, in the order Tab moves through it: topic, partition and key as one-line
//! fields, the value (multi-line) and headers (one name=value a line) in boxes, the value's
//! schema, and the result below.
//!
//! ```text
//!  Topic      orders
//!  Partition  (empty: by key hash)
//!  Key        user-1
//! ┌ Value (Ctrl+F checks and formats JSON) ┐
//! │{"n": 1}                                │
//! └────────────────────────────────────────┘
//! ┌ Headers (name=value, one a line) ──────┐
//! └────────────────────────────────────────┘
//!  Schema     (SUBJECT, SUBJECT@N or id:N; empty: as typed)
//!  Ctrl+S sends · Tab moves to Partition
//! ```
//!
//! Every field shows at every size kview draws (50×12 and up): the boxes shrink to one line of
//! text, and a line longer than its box ends in `…`, or scrolls sideways on the cursor's line.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::flow;
use super::theme::Theme;
use crate::app::input::TextInput;
use crate::app::state::State;
use crate::app::views::produce::{
    FIELD_HEADERS, FIELD_KEY, FIELD_NAMES, FIELD_PARTITION, FIELD_SCHEMA, FIELD_TOPIC, FIELD_VALUE,
};
use crate::decode::text::{escape_str, fit, width};

/// The one-line fields: the three above the boxes, then the schema below them, each with what
/// an empty one means.
const TOP_FIELDS: [(usize, &str, &str); 3] = [
    (FIELD_TOPIC, "Topic", ""),
    (FIELD_PARTITION, "Partition", "(empty: by key hash)"),
    (FIELD_KEY, "Key", "(empty: null)"),
];
const SCHEMA_FIELD: (usize, &str, &str) = (
    FIELD_SCHEMA,
    "Schema",
    "(SUBJECT, SUBJECT@N or id:N encodes the JSON value; empty: as typed)",
);
const LABEL_WIDTH: usize = 11;

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let form = &state.produce;
    let status = status_lines(state, theme, area.width);
    let status_height = (status.len() as u16).clamp(1, 3);
    let boxes = area
        .height
        .saturating_sub(TOP_FIELDS.len() as u16 + 1 + status_height);
    // Headers get up to four rows (two lines of text); the value the rest, at least three.
    let headers_height = (boxes / 3).clamp(3, 4).min(boxes.saturating_sub(3));
    let [top_area, value_area, headers_area, schema_area, status_area] = Layout::vertical([
        Constraint::Length(TOP_FIELDS.len() as u16),
        Constraint::Min(3),
        Constraint::Length(headers_height),
        Constraint::Length(1),
        Constraint::Length(status_height),
    ])
    .areas(area);
    let rows = Layout::vertical([Constraint::Length(1); 3]).split(top_area);
    let placed = rows
        .iter()
        .copied()
        .zip(TOP_FIELDS)
        .chain([(schema_area, SCHEMA_FIELD)]);
    for (row, (index, label, empty)) in placed {
        line_field(
            frame,
            row,
            theme,
            form.focus == index,
            label,
            empty,
            &form.fields[index],
        );
    }
    box_field(
        frame,
        value_area,
        theme,
        form.focus == FIELD_VALUE,
        " Value (Ctrl+F checks and formats JSON) ",
        &form.fields[FIELD_VALUE],
    );
    box_field(
        frame,
        headers_area,
        theme,
        form.focus == FIELD_HEADERS,
        " Headers (name=value, one a line) ",
        &form.fields[FIELD_HEADERS],
    );
    frame.render_widget(Paragraph::new(status), status_area);
}

/// The result of the last send, or what the keys do.
fn status_lines<'a>(state: &State, theme: &Theme, width: u16) -> Vec<Line<'a>> {
    let form = &state.produce;
    let (text, style) = if form.sending {
        ("sending…".to_owned(), theme.warn)
    } else {
        match &form.result {
            Some(Ok(text)) => (escape_str(text), theme.good),
            Some(Err(text)) => (escape_str(text), theme.bad),
            None => (
                format!(
                    "Ctrl+S sends · Tab moves to {}",
                    FIELD_NAMES[(form.focus + 1) % FIELD_NAMES.len()]
                ),
                theme.dim,
            ),
        }
    };
    let pieces = text
        .split_inclusive(' ')
        .map(|w| Span::styled(format!(" {}", w.trim_end()), style))
        .collect();
    flow(pieces, width)
}

/// `Label      text`, the label highlighted when focused; an empty field says what empty means.
fn line_field(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    focused: bool,
    label: &str,
    empty: &str,
    field: &TextInput,
) {
    let label_style = if focused { theme.title } else { theme.key };
    let room = (area.width as usize).saturating_sub(LABEL_WIDTH + 1);
    let (shown, cursor_x) = scrolled(field.text(), field.cursor_position().1, room);
    let value = if field.text().is_empty() && !focused {
        Span::styled(fit(empty, room), theme.dim)
    } else {
        Span::raw(shown)
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(
                format!(" {label:<width$}", width = LABEL_WIDTH),
                label_style,
            ),
            value,
        ])),
        area,
    );
    if focused && room > 0 {
        let x = area.x + (LABEL_WIDTH + 1 + cursor_x) as u16;
        frame.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
    }
}

/// A multi-line field in a box: the cursor's line in view, every line fitted to the box.
fn box_field(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    focused: bool,
    title: &str,
    field: &TextInput,
) {
    let block = super::panel_for(area, title, focused, theme);
    let inner = block.inner(area);
    let (cursor_line, cursor_col) = field.cursor_position();
    let rows = inner.height.max(1) as usize;
    let scroll = cursor_line.saturating_sub(rows - 1);
    let room = inner.width as usize;
    let mut cursor_x = 0;
    let lines: Vec<Line> = field
        .text()
        .split('\n')
        .enumerate()
        .skip(scroll)
        .take(rows)
        .map(|(i, line)| {
            if i == cursor_line {
                let (shown, x) = scrolled(line, cursor_col, room);
                cursor_x = x;
                Line::from(shown)
            } else {
                Line::from(fit(&escape_str(line), room))
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
    if focused && inner.width > 0 && inner.height > 0 {
        let x = inner.x + (cursor_x as u16).min(inner.width - 1);
        let y = inner.y + ((cursor_line - scroll) as u16).min(inner.height - 1);
        frame.set_cursor_position((x, y));
    }
}

/// A line of input escaped and shown in `room` columns with the cursor in view: cut with `…`
/// at the end, or, when the cursor is past the room, at the start. Returns the text and the
/// cursor's column in it.
fn scrolled(line: &str, cursor_col: usize, room: usize) -> (String, usize) {
    let before = escape_str(&line.chars().take(cursor_col).collect::<String>());
    let all = escape_str(line);
    if room == 0 {
        return (String::new(), 0);
    }
    if width(&before) < room {
        return (fit(&all, room), width(&before));
    }
    // Keep the last room-2 columns before the cursor, after a leading `…`.
    let keep = room.saturating_sub(2);
    let chars: Vec<char> = before.chars().collect();
    let mut start = chars.len();
    let mut used = 0;
    while start > 0 && used + width(&chars[start - 1].to_string()) <= keep {
        start -= 1;
        used += width(&chars[start].to_string());
    }
    let tail: String = all.chars().skip(start).collect();
    let shown = format!("…{}", fit(&tail, room - 1));
    (shown, used + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_keeps_the_cursor_in_view_and_says_where_it_is_cut() {
        assert_eq!(scrolled("short", 2, 10), ("short".into(), 2));
        assert_eq!(scrolled("abcdefghijkl", 0, 6), ("abcde…".into(), 0));
        let (shown, x) = scrolled("abcdefghijkl", 12, 6);
        assert_eq!(shown, "…ijkl");
        assert_eq!(x, 5, "after the last character");
        assert!(width(&shown) <= 6);
    }
}
