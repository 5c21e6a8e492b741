//! The `:sensors` view: the selected sensor's recent values, a table of every sensor, the alert
//! feed, and the conservation line that shows nothing is lost between simulator and database.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph, Row, Table, TableState};

use super::theme::Theme;
use super::{panel, task_status};
use crate::app::state::State;
use crate::decode::text::escape_str;
use crate::human::{count, rate};

fn value(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let v = &state.sensors;
    let c = v.counts;
    let [head, body, feed] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(6),
        Constraint::Length(7),
    ])
    .areas(area);
    let balanced = c.produced == c.acknowledged + c.failed && c.processed == c.stored + c.replayed;
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(vec![
                Span::styled(" simulator ", theme.header),
                Span::raw(format!(
                    "{} at {}/s",
                    task_status(&v.simulator),
                    rate(v.rate)
                )),
                Span::styled("  processor ", theme.header),
                Span::raw(task_status(&v.processor)),
            ]),
            Line::from(vec![
                Span::raw(format!(
                    " produced {} = acknowledged {}{} = processed {} + in flight {} · stored {}{}",
                    count(c.produced as i64),
                    count(c.acknowledged as i64),
                    if c.failed > 0 {
                        format!(" + failed {}", count(c.failed as i64))
                    } else {
                        String::new()
                    },
                    count(c.processed as i64),
                    count(c.in_flight()),
                    count(c.stored as i64),
                    if c.replayed > 0 {
                        format!(" (+{} replayed)", count(c.replayed as i64))
                    } else {
                        String::new()
                    },
                )),
                Span::styled(
                    if balanced { "  ✓" } else { "  ✗" },
                    if balanced { theme.good } else { theme.bad },
                ),
            ]),
            Line::styled(
                format!(
                    " {} alerts published to sensors.alerts",
                    count(c.alerts as i64)
                ),
                theme.dim,
            ),
        ]),
        head,
    );
    let [chart_area, table_area] = if body.width >= 120 {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body)
    } else {
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body)
    };
    render_chart(frame, chart_area, state, theme);

    let rows = v.series.iter().map(|(id, s)| {
        let row = Row::new(vec![
            escape_str(id),
            s.current.map_or_else(|| "dropout".into(), value),
            value(s.min),
            value(s.max),
            value(s.mean),
            s.alerts.to_string(),
        ]);
        if s.alerts > 0 {
            row.style(theme.warn)
        } else {
            row
        }
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(9),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(6),
        ],
    )
    .header(Row::new(["SENSOR", "NOW", "MIN", "MAX", "MEAN", "ALERTS"]).style(theme.header))
    .row_highlight_style(theme.selected)
    .block(panel(" Sensors (j/k select) ", true, theme));
    let mut table_state =
        TableState::default().with_selected((!v.series.is_empty()).then_some(v.selected));
    frame.render_stateful_widget(table, table_area, &mut table_state);

    let lines: Vec<Line> = v
        .feed
        .iter()
        .take(feed.height.saturating_sub(2) as usize)
        .map(|a| {
            Line::from(vec![
                Span::styled(format!("{:<8}", a.kind), theme.bad),
                Span::raw(format!(
                    " {} #{} at {} value {} (score {:.1})",
                    escape_str(&a.sensor),
                    a.seq,
                    crate::human::time(a.timestamp, state.utc_offset),
                    a.value.map_or_else(|| "none".into(), value),
                    a.score
                )),
            ])
        })
        .collect();
    let feed_widget = if lines.is_empty() {
        Paragraph::new("no alerts yet (1 injects a spike into the selected sensor)")
    } else {
        Paragraph::new(lines)
    };
    frame.render_widget(
        feed_widget.block(panel(" Alerts (sensors.alerts) ", false, theme)),
        feed,
    );
}

fn render_chart(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some((id, series)) = state.sensors.selected_sensor() else {
        frame.render_widget(
            Paragraph::new("s starts the simulator and the processor")
                .block(panel(" Sensor ", false, theme)),
            area,
        );
        return;
    };
    let Some(&(last_ms, _)) = series.points.back() else {
        frame.render_widget(panel(format!(" {} ", escape_str(id)), false, theme), area);
        return;
    };
    let first_ms = series.points.front().map_or(last_ms, |p| p.0);
    let span = ((last_ms - first_ms) as f64 / 1000.0).max(1.0);
    let points: Vec<(f64, f64)> = series
        .points
        .iter()
        .map(|(t, v)| ((t - last_ms) as f64 / 1000.0, *v))
        .collect();
    let pad = ((series.max - series.min) * 0.1).max(1e-3);
    let (low, high) = (series.min - pad, series.max + pad);
    let dataset = Dataset::default()
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(if theme.colors {
            theme.sparkline
        } else {
            Style::new()
        })
        .data(&points);
    let chart = Chart::new(vec![dataset])
        .block(panel(
            format!(
                " {} · {} ({}) ",
                escape_str(id),
                escape_str(&series.kind),
                escape_str(&series.unit)
            ),
            false,
            theme,
        ))
        .x_axis(
            Axis::default()
                .bounds([-span, 0.0])
                .labels([format!("-{span:.0}s"), "now".to_owned()])
                .style(theme.dim),
        )
        .y_axis(
            Axis::default()
                .bounds([low, high])
                .labels([value(low), value(high)])
                .style(theme.dim),
        );
    frame.render_widget(chart, area);
}
