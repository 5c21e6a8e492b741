//! The clusters of the config file, the current one marked.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Paragraph, Row, Table};

use super::theme::Theme;
use super::{list_table, panel};
use crate::app::state::State;
use crate::decode::text::escape_str;

/// Returns the rows the table had room for.
pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> usize {
    let view = &state.clusters;
    let block = panel(
        format!(" Clusters ({}) — Enter switches ", view.entries.len()),
        true,
        theme,
    );
    if view.entries.is_empty() {
        let path = view.config_path.as_deref().unwrap_or("the config file");
        let text = format!(
            "no clusters configured: add [clusters.NAME] with brokers = \"host:port\" to {}",
            escape_str(path)
        );
        frame.render_widget(Paragraph::new(text).block(block), area);
        return area.height.saturating_sub(3) as usize;
    }
    let current = state.session.name.as_deref();
    let make_row = |i: usize| {
        let e = &view.entries[i];
        let here = current == Some(e.name.as_str());
        let row = Row::new(vec![
            if here { "●" } else { " " }.to_owned(),
            escape_str(&e.name),
            escape_str(&e.brokers),
            escape_str(&e.security),
            if e.read_only { "read-only" } else { "" }.to_owned(),
        ]);
        if here { row.style(theme.good) } else { row }
    };
    let table = Table::new(
        Vec::<Row>::new(),
        [
            Constraint::Length(1),
            Constraint::Min(12),
            Constraint::Min(20),
            Constraint::Min(20),
            Constraint::Length(9),
        ],
    )
    .header(Row::new(["", "CLUSTER", "BROKERS", "SECURITY", "MODE"]).style(theme.header))
    .row_highlight_style(theme.selected)
    .block(block);
    list_table(frame, area, table, &view.list, view.entries.len(), make_row)
}
