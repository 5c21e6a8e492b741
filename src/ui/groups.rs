//! Consumer groups: state, members, lag with its trend, status and time to catch up.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Paragraph;

use super::panel_for;
use super::spark::spark_log;
use super::table::{Col, Grid};
use super::theme::Theme;
use crate::app::state::State;
use crate::app::views::groups::GroupSort;
use crate::decode::text::escape_str;
use crate::human::count;
use crate::lag::status::{GroupStatus, PartitionStatus};

pub fn group_style(theme: &Theme, status: GroupStatus) -> Style {
    match status {
        GroupStatus::Ok => theme.good,
        GroupStatus::NotJudged | GroupStatus::NoCommits | GroupStatus::Unknown => theme.dim,
        GroupStatus::Warn => theme.warn,
        GroupStatus::Err => theme.bad,
    }
}

pub fn partition_style(theme: &Theme, status: PartitionStatus) -> Style {
    match status {
        PartitionStatus::Ok => theme.good,
        PartitionStatus::NoCommits | PartitionStatus::Unknown | PartitionStatus::NotJudged => {
            theme.dim
        }
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
    // Many groups are polled less often: how fresh the table is, said (the open group is
    // polled every 5 s all the same).
    if let Some(every) = view.every_when_slower {
        title.push_str(&format!(
            "· polled every {} ",
            crate::human::duration(every.as_millis() as i64)
        ));
    }
    if !view.filter.is_empty() {
        title.push_str(&format!("filter: {} ", escape_str(&view.filter)));
    }
    let block = panel_for(area, &title, true, theme);
    if view.order.is_empty() {
        let text = if view.loaded {
            "no consumer groups".to_owned()
        } else {
            super::waiting_for(state, "consumer groups")
        };
        frame.render_widget(
            Paragraph::new(text)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .block(block),
            area,
        );
        return area.height.saturating_sub(3) as usize;
    }
    let spark_width = area.width.saturating_sub(96).clamp(4, 30);
    let columns = [
        Col::text("GROUP", 16, 0),
        Col::text("TYPE", 8, 5),
        Col::text("STATE", 8, 4),
        Col::whole("MEMBERS", 5),
        Col::text("TOPICS", 8, 6),
        Col::whole("LAG", 0),
        Col::graph("TREND (log)", spark_width, 7),
        Col::whole("STATUS", 1),
        Col::text("CATCH UP", 18, 2),
        Col::whole("WINDOW", 3),
    ];
    // The order is made from the reports, so every name in it has one.
    let make_row = |i: usize| {
        let r = &view.reports[&view.order[i]];
        let history = view
            .lag_history
            .get(&r.group)
            .map(|s| s.last(spark_width as usize))
            .unwrap_or_default();
        let (filled, full) = r.window_fill;
        let cells = vec![
            escape_str(&r.group),
            escape_str(r.kind.as_str()),
            escape_str(&r.state),
            r.members.map_or_else(|| "?".into(), |m| m.to_string()),
            escape_str(&r.topics.join(",")),
            r.total_lag.map_or_else(|| "-".into(), count),
            spark_log(&history, spark_width as usize),
            r.status.label().to_owned(),
            crate::human::catch_up(r.catch_up),
            (filled * 100)
                .checked_div(full)
                .map_or_else(|| "-".into(), |pct| format!("{pct}%")),
        ];
        let style = if r.status == GroupStatus::Ok {
            Style::default()
        } else {
            group_style(theme, r.status)
        };
        (cells, style)
    };
    Grid::new(&columns, panel_for(area, title, true, theme)).list(
        frame,
        area,
        theme,
        &view.list,
        view.order.len(),
        make_row,
    )
}
