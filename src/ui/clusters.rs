//! The clusters of the config file, the current one marked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Paragraph;

use super::panel_for;
use super::table::{Col, Grid};
use super::theme::Theme;
use crate::app::state::State;
use crate::decode::text::escape_str;

/// Returns the rows the table had room for.
pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> usize {
    let view = &state.clusters;
    let block = panel_for(
        area,
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
        frame.render_widget(
            Paragraph::new(text)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .block(block),
            area,
        );
        return area.height.saturating_sub(3) as usize;
    }
    let current = state.session.name.as_deref();
    // How each is reached matters most after its name (wide enough for "TLS · SCRAM-SHA-512 as
    // alice"), then whether it is read-only and answers; the broker list goes first.
    let columns = [
        Col::text("", 1, 0),
        Col::text("CLUSTER", 8, 0),
        Col::text("BROKERS", 12, 4),
        Col::text("SECURITY", 28, 1),
        Col::text("MODE", 9, 2),
        Col::text("ANSWERS", 14, 3),
    ];
    let make_row = |i: usize| {
        let e = &view.entries[i];
        let here = current == Some(e.name.as_str());
        let cells = vec![
            if here { "●" } else { " " }.to_owned(),
            escape_str(&e.name),
            escape_str(&e.brokers),
            escape_str(&e.security),
            if e.read_only { "read-only" } else { "" }.to_owned(),
            match &e.answer {
                None => "asking…".to_owned(),
                Some(Ok(n)) => format!("yes ({})", crate::human::plural(*n as i64, "broker")),
                Some(Err(e)) => format!("no: {}", escape_str(e)),
            },
        ];
        (cells, if here { theme.good } else { Style::default() })
    };
    Grid::new(&columns, block).list(frame, area, theme, &view.list, view.entries.len(), make_row)
}
