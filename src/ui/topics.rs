//! The topics table: filterable, sortable, with a throughput sparkline per row.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::panel;
use super::spark::spark_text;
use super::table::{Col, Grid};
use super::theme::Theme;
use crate::app::state::State;
use crate::app::views::topics::TopicSort;
use crate::decode::text::escape_str;
use crate::human::{bytes, count, rate};

/// Returns the rows the table had room for.
pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> usize {
    let view = &state.topics;
    // As wide as the history so far: the header stands over the bars, not over blank room.
    let samples = state.session.stats.cluster_history.len() as u16;
    let spark_width = area
        .width
        .saturating_sub(70)
        .clamp(4, 40)
        .min(samples.max(5));
    let columns = [
        Col::text("TOPIC", 16, 0),
        Col::whole("PARTS", 3),
        Col::whole("RF", 4),
        Col::whole("MESSAGES", 0),
        Col::whole("MSG/S", 1),
        Col::whole("SIZE", 2),
        Col::graph("TREND", spark_width, 5),
    ];
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
        let cells = vec![
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
                    .map(|s| s.history.last(spark_width as usize))
                    .unwrap_or_default(),
                spark_width as usize,
            ),
        ];
        (
            cells,
            if under > 0 {
                theme.warn
            } else {
                Style::default()
            },
        )
    };
    let arrow = if view.descending { "↓" } else { "↑" };
    let headers = columns
        .iter()
        .map(|c| {
            let sorted = matches!(
                (view.sort, c.header),
                (TopicSort::Name, "TOPIC")
                    | (TopicSort::Partitions, "PARTS")
                    | (TopicSort::Replication, "RF")
                    | (TopicSort::Messages, "MESSAGES")
                    | (TopicSort::Rate, "MSG/S")
                    | (TopicSort::Size, "SIZE")
            );
            if sorted {
                format!("{}{arrow}", c.header)
            } else {
                c.header.to_owned()
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
    Grid::new(&columns, panel(title, true, theme))
        .headers(headers)
        .list(frame, area, theme, &view.list, view.order.len(), make_row)
}
