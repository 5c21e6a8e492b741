//! The `?` overlay: every key of the view under it, from the same tables the keymap reads. As
//! wide as the screen allows, in two columns when they fit, and scrolled with j/k when the keys
//! are more than the screen's height.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::theme::Theme;
use crate::app::keymap::{self, Mode};
use crate::app::state::State;
use crate::decode::text::{fit, width};

/// The widest the overlay grows, and the width under which it keeps one column.
const MAX_WIDTH: u16 = 132;
const TWO_COLUMNS_FROM: u16 = 96;
/// A key label right-aligned in eight columns, and two spaces.
const KEY_WIDTH: usize = 10;

/// Every key of the view, once each: (key label, what it does).
pub fn entries(state: &State) -> Vec<(String, &'static str)> {
    // The keys of the view under the overlay, as if help were closed.
    let mode = Mode::View(state.view());
    let mut out: Vec<(String, &'static str)> = Vec::new();
    for table in keymap::tables(mode) {
        for b in table {
            let label = keymap::key_label(b);
            if !out.iter().any(|(l, h)| *l == label && *h == b.help) {
                out.push((label, b.help));
            }
        }
    }
    out
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let entries = entries(state);
    let popup_width = area.width.min(MAX_WIDTH);
    let inner_width = popup_width.saturating_sub(2);
    // Two columns when the screen is wide and every entry fits in half of it.
    let longest = entries
        .iter()
        .map(|(_, help)| KEY_WIDTH + width(help))
        .max()
        .unwrap_or(0);
    let columns: usize = if inner_width >= TWO_COLUMNS_FROM && longest < inner_width as usize / 2 {
        2
    } else {
        1
    };
    let rows_needed = entries.len().div_ceil(columns) as u16;
    let popup_height = (rows_needed + 2).min(area.height);
    let popup = super::centered(area, popup_width, popup_height);
    let visible = popup_height.saturating_sub(2) as usize;
    let last_start = (rows_needed as usize).saturating_sub(visible);
    let scroll = (state.help_scroll as usize).min(last_start);
    let more = if last_start == 0 {
        String::new()
    } else if scroll >= last_start {
        " · ↑ more above ".to_owned()
    } else {
        format!(" · j/↓ {} more ", rows_needed as usize - visible - scroll)
    };
    let title = fit(
        &format!(" Keys (? or Esc closes){more}"),
        inner_width as usize,
    );
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(theme.title);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let column_areas = Layout::horizontal(vec![Constraint::Fill(1); columns]).split(inner);
    let per_column = rows_needed as usize;
    for (c, column) in column_areas.iter().enumerate() {
        let lines: Vec<Line> = entries
            .iter()
            .skip(c * per_column)
            .take(per_column)
            .skip(scroll)
            .take(visible)
            .map(|(key, help)| {
                let key = format!("{key:>8}  ");
                let room = (column.width as usize).saturating_sub(width(&key));
                Line::from(vec![
                    Span::styled(key, theme.key),
                    Span::raw(fit(help, room)),
                ])
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), *column);
    }
}
