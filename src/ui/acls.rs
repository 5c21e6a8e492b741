//! `:acls`: every ACL as a table, filtered as typed; one line when there is no authorizer.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Paragraph, Wrap};

use super::table::{Col, Grid};
use super::theme::Theme;
use super::{panel, panel_for};
use crate::app::state::State;
use crate::decode::text::escape_str;
use crate::kafka::acl::PatternKind;

/// Returns the rows the table had room for.
pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> usize {
    let view = &state.acls;
    let message = match &view.snapshot {
        Some(Ok(Some(_))) => None,
        Some(Ok(None)) => Some(crate::kafka::acl::NO_AUTHORIZER.to_owned()),
        Some(Err(e)) => Some(format!("cannot read the ACLs: {}", escape_str(e))),
        None => Some(super::waiting_for(state, "the ACLs")),
    };
    if let Some(text) = message {
        frame.render_widget(
            Paragraph::new(text)
                .wrap(Wrap { trim: true })
                .block(panel(" ACLs ", true, theme)),
            area,
        );
        return area.height.saturating_sub(3) as usize;
    }
    let shown = view.shown();
    let columns = [
        Col::text("PRINCIPAL", 10, 0),
        Col::text("PERMISSION", 5, 2),
        Col::text("OPERATION", 6, 1),
        Col::text("RESOURCE", 5, 3),
        Col::text("NAME", 10, 0),
        Col::text("PATTERN", 7, 4),
        Col::text("HOST", 4, 5),
    ];
    let rows = |i: usize| {
        let a = shown[i];
        let cells = vec![
            escape_str(&a.principal),
            if a.allow { "ALLOW" } else { "DENY" }.into(),
            a.operation.name().into(),
            a.resource.kind.name().into(),
            escape_str(&a.resource.name),
            match a.resource.pattern {
                PatternKind::Literal => "literal",
                PatternKind::Prefixed => "prefixed",
            }
            .into(),
            escape_str(&a.host),
        ];
        let style = if a.allow {
            Style::default()
        } else {
            theme.warn
        };
        (cells, style)
    };
    let filter = if view.filter.is_empty() {
        String::new()
    } else {
        format!(" matching {:?}", escape_str(&view.filter))
    };
    let title = format!(
        " ACLs ({}{filter}){} ",
        shown.len(),
        if view.loading { " reading…" } else { "" }
    );
    Grid::new(&columns, panel_for(area, title, true, theme)).list(
        frame,
        area,
        theme,
        &view.list,
        shown.len(),
        rows,
    )
}
