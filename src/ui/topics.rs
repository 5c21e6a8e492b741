//! The topics table: filterable, sortable, with a throughput sparkline per row.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Row, Table};

use super::spark::spark_text;
use super::theme::Theme;
use super::{Column, fit_table, fitted_cells, list_table, panel};
use crate::app::state::State;
use crate::app::views::topics::TopicSort;
use crate::decode::text::escape_str;
use crate::human::{bytes, count, rate};

/// Returns the rows the table had room for.
pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> usize {
    let view = &state.topics;
    let spark_width = area.width.saturating_sub(70).clamp(4, 40) as usize;
    let columns = [
        Column::new("TOPIC", Constraint::Min(16), 0),
        Column::new("PARTS", Constraint::Length(6), 3),
        Column::new("RF", Constraint::Length(3), 4),
        Column::new("MESSAGES", Constraint::Length(13), 0),
        Column::new("MSG/S", Constraint::Length(9), 1),
        Column::new("SIZE", Constraint::Length(10), 2),
        Column::new("TREND", Constraint::Length(spark_width as u16), 5),
    ];
    let (kept, widths) = fit_table(&columns, area);
    let make_row = |i: usize| {
        let name = &view.order[i];
        let info = state.topic_info(name);
        let stats = state.session.stats.topics.get(name);
        let under = info.map_or(0, |t| {
            t.partitions
                .iter()
                .filter(|p| p.is_under_replicated())
                .count()
        });
        let row = Row::new(fitted_cells(
            vec![
                escape_str(name),
                info.map_or(0, |t| t.partitions.len()).to_string(),
                info.map_or(0, |t| t.replication_factor()).to_string(),
                stats.map_or_else(|| "-".into(), |s| count(s.messages)),
                stats.map_or_else(|| "-".into(), |s| rate(s.rate)),
                state
                    .session
                    .topic_sizes
                    .get(name)
                    .map_or_else(|| "-".into(), |b| bytes(*b)),
                spark_text(
                    &stats
                        .map(|s| s.history.last(spark_width))
                        .unwrap_or_default(),
                    spark_width,
                ),
            ],
            &kept,
            &widths,
        ));
        if under > 0 {
            row.style(theme.warn)
        } else {
            row
        }
    };
    let arrow = if view.descending { "↓" } else { "↑" };
    let header = kept
        .iter()
        .map(|i| columns[*i].header)
        .map(|h| {
            let sorted = matches!(
                (view.sort, h),
                (TopicSort::Name, "TOPIC")
                    | (TopicSort::Partitions, "PARTS")
                    | (TopicSort::Replication, "RF")
                    | (TopicSort::Messages, "MESSAGES")
                    | (TopicSort::Rate, "MSG/S")
                    | (TopicSort::Size, "SIZE")
            );
            if sorted {
                format!("{h}{arrow}")
            } else {
                h.to_owned()
            }
        })
        .collect::<Vec<_>>();
    let mut title = format!(" Topics ({}) by {} ", view.order.len(), view.sort.label());
    if !view.filter.is_empty() {
        title.push_str(&format!("filter: {} ", escape_str(&view.filter)));
    }
    if view.show_internal {
        title.push_str("+internal ");
    }
    let constraints: Vec<Constraint> = kept.iter().map(|i| columns[*i].constraint()).collect();
    let table = Table::new(Vec::<Row>::new(), constraints)
        .header(Row::new(header).style(theme.header))
        .row_highlight_style(theme.selected)
        .block(panel(title, true, theme));
    list_table(frame, area, table, &view.list, view.order.len(), make_row)
}
