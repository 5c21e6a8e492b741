//! One consumer group: per partition committed offset, high watermark, lag in messages and time,
//! owner, commit rate, status and a lag sparkline; the offset-reset preview.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Row, Table};

use super::groups::{group_style, partition_style};
use super::spark::spark_log;
use super::theme::Theme;
use super::{Column, fit_table, fitted_cells, kept_table, list_table, panel};
use crate::app::state::State;
use crate::app::views::group::ResetState;
use crate::decode::text::escape_str;
use crate::human::duration;
use crate::human::{count, rate};

/// Returns the rows the partitions table had room for.
pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> usize {
    let name = &state.group.name;
    let Some(report) = state.groups.report(name) else {
        frame.render_widget(
            Paragraph::new(format!(
                "group {} is not (or no longer) listed",
                escape_str(name)
            ))
            .block(panel(" Group ", true, theme)),
            area,
        );
        return area.height.saturating_sub(3) as usize;
    };
    let [summary, body] = Layout::vertical([Constraint::Length(2), Constraint::Min(3)]).areas(area);
    let (filled, full) = report.window_fill;
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(vec![
                Span::styled(format!(" {} ", escape_str(&report.group)), theme.title),
                Span::styled(format!(" {} ", report.status.label()), group_style(theme, report.status)),
                Span::raw(format!(
                    " lag {}  catch up {}  state {}  {}  protocol {}",
                    count(report.total_lag),
                    crate::human::catch_up(report.catch_up),
                    escape_str(&report.state),
                    crate::human::plural(report.members as i64, "member"),
                    escape_str(&report.protocol),
                )),
            ]),
            Line::styled(
                format!(
                    " status over the last {} commits per partition: windows {filled}/{full} full · lag time: ~ interpolated, > at least",
                    state.session.tracker.window()
                ),
                theme.dim,
            ),
        ]),
        summary,
    );
    let spark_width = body.width.saturating_sub(110).clamp(4, 30) as usize;
    let columns = [
        Column::new("TOPIC", Constraint::Min(14), 0),
        Column::new("P", Constraint::Length(4), 0),
        Column::new("COMMITTED", Constraint::Length(11), 4),
        Column::new("HIGH", Constraint::Length(11), 5),
        Column::new("LAG", Constraint::Length(10), 0),
        Column::new("LAG TIME", Constraint::Length(9), 2),
        Column::new("OWNER", Constraint::Length(22), 3),
        Column::new("COMMIT/S", Constraint::Length(8), 6),
        Column::new("TREND (log)", Constraint::Length(spark_width as u16), 7),
        Column::new("STATUS", Constraint::Length(10), 1),
    ];
    let (kept, widths) = fit_table(&columns, body);
    let make_row = |i: usize| {
        let p = &report.partitions[i];
        let history = state
            .groups
            .partition_history
            .get(&(report.group.clone(), p.topic.clone(), p.partition))
            .map(|s| s.last(spark_width))
            .unwrap_or_default();
        let lag_time = match (p.lag_ms, p.lag_time_quality) {
            (Some(ms), Some(q)) => format!("{}{}", q.marker(), duration(ms)),
            _ => "-".into(),
        };
        Row::new(fitted_cells(
            vec![
                escape_str(&p.topic),
                p.partition.to_string(),
                p.committed.map_or_else(|| "-".into(), count),
                count(p.high_watermark),
                p.lag.map_or_else(|| "no commits".into(), count),
                lag_time,
                p.owner.as_ref().map_or_else(
                    || "-".into(),
                    |o| escape_str(&format!("{}@{}", o.client_id, o.host)),
                ),
                p.commit_rate.map_or_else(|| "-".into(), rate),
                spark_log(&history, spark_width),
                p.status.label().to_owned(),
            ],
            &kept,
            &widths,
        ))
        .style(partition_style(theme, p.status))
    };
    let table = kept_table(&columns, &kept, theme)
        .row_highlight_style(theme.selected)
        .block(panel(" Partitions ", true, theme));
    let len = report.partitions.len();
    let room = list_table(frame, body, table, &state.group.list, len, make_row);
    if let Some(reset) = &state.group.reset {
        render_reset(frame, body, theme, reset);
    }
    room
}

fn render_reset(frame: &mut Frame, area: Rect, theme: &Theme, reset: &ResetState) {
    let popup = super::centered(area, 72, 16);
    frame.render_widget(Clear, popup);
    let block = panel(" Offset reset ", true, theme);
    match reset {
        ResetState::Planning => {
            frame.render_widget(Paragraph::new("computing the preview…").block(block), popup)
        }
        ResetState::Applying => {
            frame.render_widget(Paragraph::new("applying…").block(block), popup)
        }
        ResetState::Preview(plans) => {
            let rows = plans.iter().map(|p| {
                Row::new(vec![
                    escape_str(&p.topic),
                    p.partition.to_string(),
                    p.old_offset.map_or_else(|| "-".into(), count),
                    count(p.new_offset),
                    count(p.new_lag),
                ])
            });
            let table = Table::new(
                rows,
                [
                    Constraint::Min(12),
                    Constraint::Length(4),
                    Constraint::Length(11),
                    Constraint::Length(11),
                    Constraint::Length(11),
                ],
            )
            .header(Row::new(["TOPIC", "P", "OLD", "NEW", "LAG AFTER"]).style(theme.header))
            .block(block.title_bottom(" type the group name below to apply, Esc cancels "));
            frame.render_widget(table, popup);
        }
    }
}
