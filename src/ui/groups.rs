//! Consumer groups: state, members, lag with its trend, status and time to catch up.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Paragraph, Row};

use super::spark::spark_log;
use super::theme::Theme;
use super::{Column, fit_table, fitted_cells, kept_table, list_table, panel};
use crate::app::state::State;
use crate::app::views::groups::GroupSort;
use crate::decode::text::escape_str;
use crate::human::count;
use crate::lag::status::{GroupStatus, PartitionStatus};

pub fn group_style(theme: &Theme, status: GroupStatus) -> Style {
    match status {
        GroupStatus::Ok => theme.good,
        GroupStatus::NotJudged | GroupStatus::NoCommits => theme.dim,
        GroupStatus::Warn => theme.warn,
        GroupStatus::Err => theme.bad,
    }
}

pub fn partition_style(theme: &Theme, status: PartitionStatus) -> Style {
    match status {
        PartitionStatus::Ok => theme.good,
        PartitionStatus::NoCommits | PartitionStatus::NotJudged => theme.dim,
        PartitionStatus::Warn => theme.warn,
        PartitionStatus::Rewind | PartitionStatus::Stall | PartitionStatus::Stop => theme.bad,
    }
}

/// Returns the rows the table had room for.
pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> usize {
    let view = &state.groups;
    let sort = match view.sort {
        GroupSort::Name => "name",
        GroupSort::Lag => "lag",
        GroupSort::Status => "status",
    };
    let mut title = format!(" Consumer groups ({}) by {sort} ", view.order.len());
    if !view.filter.is_empty() {
        title.push_str(&format!("filter: {} ", escape_str(&view.filter)));
    }
    let block = panel(title, true, theme);
    if view.order.is_empty() {
        let text = if view.loaded {
            "no consumer groups"
        } else {
            "loading consumer groups…"
        };
        frame.render_widget(Paragraph::new(text).block(block), area);
        return area.height.saturating_sub(3) as usize;
    }
    let spark_width = area.width.saturating_sub(96).clamp(4, 30) as usize;
    let columns = [
        Column::new("GROUP", Constraint::Min(16), 0),
        Column::new("TYPE", Constraint::Length(8), 5),
        Column::new("STATE", Constraint::Length(12), 4),
        Column::new("MEMBERS", Constraint::Length(7), 5),
        Column::new("TOPICS", Constraint::Length(18), 6),
        Column::new("LAG", Constraint::Length(11), 0),
        Column::new("TREND (log)", Constraint::Length(spark_width as u16), 7),
        Column::new("STATUS", Constraint::Length(6), 1),
        Column::new("CATCH UP", Constraint::Length(18), 2),
        Column::new("WINDOW", Constraint::Length(6), 3),
    ];
    let (kept, widths) = fit_table(&columns, area);
    // The order is made from the reports, so every name in it has one.
    let make_row = |i: usize| {
        let r = &view.reports[&view.order[i]];
        {
            let history = view
                .lag_history
                .get(&r.group)
                .map(|s| s.last(spark_width))
                .unwrap_or_default();
            let (filled, full) = r.window_fill;
            Row::new(fitted_cells(
                vec![
                    escape_str(&r.group),
                    escape_str(r.kind.as_str()),
                    escape_str(&r.state),
                    r.members.map_or_else(|| "?".into(), |m| m.to_string()),
                    escape_str(&r.topics.join(",")),
                    r.total_lag.map_or_else(|| "-".into(), count),
                    spark_log(&history, spark_width),
                    r.status.label().to_owned(),
                    crate::human::catch_up(r.catch_up),
                    (filled * 100)
                        .checked_div(full)
                        .map_or_else(|| "-".into(), |pct| format!("{pct}%")),
                ],
                &kept,
                &widths,
            ))
            .style(if r.status == GroupStatus::Ok {
                Style::default()
            } else {
                group_style(theme, r.status)
            })
        }
    };
    let table = kept_table(&columns, &kept, theme)
        .row_highlight_style(theme.selected)
        .block(block);
    list_table(frame, area, table, &view.list, view.order.len(), make_row)
}
