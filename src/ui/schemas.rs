//! `:schemas`: the registry's subjects beside the opened subject's schema text or diff.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Paragraph, Wrap};

use super::table::{Col, Grid};
use super::theme::Theme;
use super::{panel, panel_for};
use crate::app::state::State;
use crate::app::views::schemas::Focus;
use crate::decode::text::escape_str;

/// Returns the rows the subject list had room for.
pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> usize {
    let view = &state.schemas;
    let wide = area.width >= 120;
    let [list, text] = if wide {
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area)
    } else {
        Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area)
    };
    let registry = state
        .session
        .schema_registry
        .as_deref()
        .map(escape_str)
        .unwrap_or_default();
    let room = match &view.subjects {
        None | Some(Err(_)) => {
            let message = match &view.subjects {
                Some(Err(e)) => escape_str(e),
                _ => format!("loading subjects from {registry}…"),
            };
            let block = panel(" Subjects ", view.focus == Focus::Subjects, theme);
            frame.render_widget(
                Paragraph::new(message)
                    .wrap(Wrap { trim: false })
                    .block(block),
                list,
            );
            list.height.saturating_sub(3) as usize
        }
        Some(Ok((compatibility, subjects))) => {
            let title = format!(
                " Subjects ({}) · default compatibility {} ",
                subjects.len(),
                escape_str(compatibility)
            );
            let block = panel_for(list, title, view.focus == Focus::Subjects, theme);
            let opened = view.opened.as_deref();
            let columns = [
                Col::text("SUBJECT", 12, 0),
                Col::text("TYPE", 6, 1),
                Col::whole("VERSIONS", 2),
                Col::whole("LATEST", 3),
                Col::whole("ID", 0),
            ];
            let make_row = |i: usize| {
                let s = &subjects[i];
                let cells = vec![
                    escape_str(&s.name),
                    s.kind.name().to_owned(),
                    s.versions.to_string(),
                    s.latest.to_string(),
                    s.latest_id.to_string(),
                ];
                let style = if opened == Some(s.name.as_str()) {
                    theme.good
                } else {
                    Style::default()
                };
                (cells, style)
            };
            Grid::new(&columns, block).list(
                frame,
                list,
                theme,
                &view.list,
                subjects.len(),
                make_row,
            )
        }
    };
    let title = match (&view.opened, view.diff) {
        (Some(name), true) => format!(" {} — diff ([ ] versions, d text) ", escape_str(name)),
        (Some(name), false) => format!(" {} ([ ] versions, d diff) ", escape_str(name)),
        (None, _) => " Schema ".to_owned(),
    };
    let block = panel_for(text, title, view.focus == Focus::Text, theme);
    let paragraph = if view.lines().is_empty() {
        Paragraph::new(match &view.opened {
            Some(name) => format!("loading {}…", escape_str(name)),
            None => "Enter on a subject shows its schema".to_owned(),
        })
        .wrap(Wrap { trim: true })
    } else {
        let lines: Vec<_> = view
            .lines()
            .iter()
            .map(|l| super::styled::line(l, theme))
            .collect();
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((view.scroll, 0))
    };
    frame.render_widget(paragraph.block(block), text);
    room
}
