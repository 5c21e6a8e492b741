//! The `:sensors` view: the selected sensor's recent values, a table of every sensor, the alert
//! feed, and the conservation line that shows nothing is lost between simulator and database.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::table::{Col, Grid};
use super::theme::Theme;
use super::{panel, task_status};
use crate::app::state::State;
use crate::decode::text::{escape_str, fit};
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
    // The processors' panel: its members (at most four rows) under their header.
    let small = area.height < 30;
    let members = v.processors.rows.len().clamp(1, if small { 3 } else { 6 }) as u16;
    let [head, processors, body, feed] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(members + 3),
        Constraint::Min(6),
        Constraint::Length(if small { 5 } else { 7 }),
    ])
    .areas(area);
    render_processors(frame, processors, members as usize, state, theme);
    let balanced = c.produced == c.acknowledged + c.failed && c.processed == c.stored + c.replayed;
    let room = head.width as usize;
    let tasks = format!(
        " simulator {} at {}/s  processor {}",
        task_status(&v.simulator),
        rate(v.rate),
        task_status(&v.processor)
    );
    let conservation = format!(
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
    );
    // Each line ends in `…` when the terminal is too narrow for it; the ✓ or ✗ always shows.
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(fit(&tasks, room)),
            Line::from(vec![
                Span::raw(fit(&conservation, room.saturating_sub(3))),
                Span::styled(
                    if balanced { "  ✓" } else { "  ✗" },
                    if balanced { theme.good } else { theme.bad },
                ),
            ]),
            Line::styled(
                fit(
                    &format!(
                        " {} published to sensors.alerts",
                        crate::human::plural(c.alerts as i64, "alert")
                    ),
                    room,
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

    let series: Vec<_> = v.series.iter().collect();
    let columns = [
        Col::text("SENSOR", 6, 0),
        Col::whole("NOW", 0),
        Col::whole("MIN", 1),
        Col::whole("MAX", 1),
        Col::whole("MEAN", 0),
        Col::whole("ALERTS", 0),
    ];
    let make_row = |i: usize| {
        let (id, s) = series[i];
        let cells = vec![
            escape_str(id),
            s.current.map_or_else(|| "dropout".into(), value),
            value(s.min),
            value(s.max),
            value(s.mean),
            s.alerts.to_string(),
        ];
        let style = if s.alerts > 0 {
            theme.warn
        } else {
            Style::default()
        };
        (cells, style)
    };
    let selection = crate::app::list::ListSelection {
        selected: v.selected,
        offset: 0,
    };
    Grid::new(&columns, panel(" Sensors (j/k select) ", true, theme)).list(
        frame,
        table_area,
        theme,
        &selection,
        series.len(),
        make_row,
    );

    let lines: Vec<Line> = v
        .feed
        .iter()
        .skip(v.feed_scroll)
        .take(feed.height.saturating_sub(2) as usize)
        .map(|a| {
            Line::from(vec![
                Span::styled(format!("{:<8}", a.kind), theme.bad),
                Span::raw(format!(
                    " {} at {} value {} (score {:.1})",
                    escape_str(&a.sensor),
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
        feed_widget.block(panel(
            if v.feed.is_empty() {
                " Alerts (sensors.alerts) ".to_owned()
            } else {
                format!(
                    " Alerts (sensors.alerts) {}–{} of {}, newest first · [ ] scroll ",
                    v.feed_scroll + 1,
                    (v.feed_scroll + feed.height.saturating_sub(2) as usize).min(v.feed.len()),
                    v.feed.len()
                )
            },
            false,
            theme,
        )),
        feed,
    );
}

/// The processors' group: each member with its partitions and rate; the title says the
/// latest rebalance moment.
fn render_processors(frame: &mut Frame, area: Rect, room: usize, state: &State, theme: &Theme) {
    let panel = &state.sensors.processors;
    let title = match (&panel.error, panel.moments.back()) {
        (Some(e), _) => format!(" Processors · {} ", escape_str(e)),
        (None, Some(moment)) => format!(" {moment} "),
        (None, None) => format!(
            " Processors ({}) ",
            crate::human::plural(panel.rows.len() as i64, "member")
        ),
    };
    let columns = [
        Col::text("PROCESSOR", 11, 0),
        Col::text("PARTITIONS", 10, 1),
        Col::whole("READINGS/S", 0),
        Col::text("MEMBER", 8, 2),
    ];
    // Rows beyond the room become one that says how many more there are.
    let hidden = panel.rows.len().saturating_sub(room);
    let shown = if hidden > 0 { room - 1 } else { room };
    let mut rows: Vec<_> = panel
        .rows
        .iter()
        .take(shown)
        .map(|r| {
            let partitions = if r.partitions.is_empty() {
                "none".to_owned()
            } else {
                r.partitions
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let cells = vec![
                format!("processor {}", r.number),
                partitions,
                r.rate.map_or_else(|| "?".to_owned(), |x| format!("{x:.0}")),
                escape_str(&r.member_id),
            ];
            let style = if r.partitions.is_empty() {
                theme.dim
            } else {
                Style::default()
            };
            (cells, style)
        })
        .collect();
    if hidden > 0 {
        let more = format!("+{} more", hidden + 1);
        rows.push((
            vec![more, String::new(), String::new(), String::new()],
            theme.dim,
        ));
    }
    let style = if panel.error.is_some() {
        theme.bad
    } else {
        theme.border
    };
    Grid::new(
        &columns,
        super::panel_for(area, title, false, theme).border_style(style),
    )
    .rows(frame, area, theme, rows);
}

/// One column of the chart: the time it covers and the readings' least, mean and largest.
struct Bucket {
    x: f64,
    min: f64,
    mean: f64,
    max: f64,
}

/// Readings grouped into `columns` equal slices of time (empty slices left out).
fn buckets(points: &[(f64, f64)], span: f64, columns: usize) -> Vec<Bucket> {
    let columns = columns.max(1);
    let mut sums: Vec<(f64, f64, f64, usize)> = vec![(f64::MAX, 0.0, f64::MIN, 0); columns];
    for (x, v) in points {
        let i = (((x + span) / span) * columns as f64)
            .floor()
            .clamp(0.0, columns as f64 - 1.0) as usize;
        let b = &mut sums[i];
        b.0 = b.0.min(*v);
        b.1 += v;
        b.2 = b.2.max(*v);
        b.3 += 1;
    }
    sums.into_iter()
        .enumerate()
        .filter(|(_, b)| b.3 > 0)
        .map(|(i, (min, sum, max, n))| Bucket {
            x: -span + (i as f64 + 0.5) * span / columns as f64,
            min,
            mean: sum / n as f64,
            max,
        })
        .collect()
}

/// The selected sensor over the last minutes: a line through each column's mean, over a band
/// from its lowest to its highest reading, so bursts of readings read as a range, not a tangle.
fn render_chart(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    use ratatui::widgets::canvas::{Canvas, Line as CanvasLine};
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
    let [plot, scale] = Layout::vertical([Constraint::Min(3), Constraint::Length(1)])
        .areas(panel("", false, theme).inner(area));
    // Braille: two dots a cell across.
    let columns = (plot.width as usize * 2).max(1);
    let columns = buckets(&points, span, columns);
    let (band, line) = if theme.colors {
        (
            theme.dim.fg.unwrap_or(ratatui::style::Color::DarkGray),
            theme.sparkline.fg.unwrap_or(ratatui::style::Color::Green),
        )
    } else {
        (ratatui::style::Color::Reset, ratatui::style::Color::Reset)
    };
    let canvas = Canvas::default()
        .marker(Marker::Braille)
        .x_bounds([-span, 0.0])
        .y_bounds([low, high])
        .paint(|ctx| {
            for b in &columns {
                ctx.draw(&CanvasLine::new(b.x, b.min, b.x, b.max, band));
            }
            ctx.layer();
            for pair in columns.windows(2) {
                ctx.draw(&CanvasLine::new(
                    pair[0].x,
                    pair[0].mean,
                    pair[1].x,
                    pair[1].mean,
                    line,
                ));
            }
        });
    frame.render_widget(
        panel(
            format!(
                " {} · {} ({}) · band: low–high, line: mean ",
                escape_str(id),
                escape_str(&series.kind),
                escape_str(&series.unit)
            ),
            false,
            theme,
        ),
        area,
    );
    frame.render_widget(canvas, plot);
    frame.render_widget(
        Paragraph::new(format!(
            "-{span:.0}s … now · {} to {} {}",
            value(series.min),
            value(series.max),
            escape_str(&series.unit)
        ))
        .style(theme.dim),
        scale,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_group_into_columns_with_their_range_and_mean() {
        // Ten seconds of readings, two columns of five seconds.
        let points: Vec<(f64, f64)> = (0..10).map(|i| (i as f64 - 10.0, i as f64)).collect();
        let b = buckets(&points, 10.0, 2);
        assert_eq!(b.len(), 2);
        assert_eq!((b[0].min, b[0].mean, b[0].max), (0.0, 2.0, 4.0));
        assert_eq!((b[1].min, b[1].mean, b[1].max), (5.0, 7.0, 9.0));
        assert!(b[0].x < b[1].x);
        assert!(
            buckets(&[], 10.0, 4).is_empty(),
            "empty columns are left out"
        );
    }
}
