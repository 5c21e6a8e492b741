//! The `:ml` view: accuracy and loss over samples seen for every run and model, the latest
//! confusion matrix, the streams' rates, and the pipeline's controls.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, LegendPosition, Paragraph};

use super::theme::Theme;
use super::{panel, task_status};
use crate::app::state::State;
use crate::app::views::ml::RunCurves;
use crate::decode::text::escape_str;
use crate::human::rate;

const LINE_COLORS: [Color; 6] = [
    Color::Green,
    Color::Cyan,
    Color::Yellow,
    Color::Magenta,
    Color::Blue,
    Color::Red,
];

/// "run-20261125-083400.277" → "08:34:00"; other ids as they are.
fn short_run(run: &str) -> String {
    let time = run.rsplit('-').next().unwrap_or(run);
    if time.len() >= 6 && time[..6].bytes().all(|b| b.is_ascii_digit()) {
        format!("{}:{}:{}", &time[0..2], &time[2..4], &time[4..6])
    } else {
        escape_str(run)
    }
}

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let ml = &state.ml;
    let [status, body] = Layout::vertical([Constraint::Length(2), Constraint::Min(4)]).areas(area);
    let stream_rate = |t: &str| state.session.stats.topics.get(t).map_or(0.0, |s| s.rate);
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(vec![
                Span::styled(" producer ", theme.header),
                Span::raw(task_status(&ml.producer)),
                Span::styled("  trainer ", theme.header),
                Span::raw(task_status(&ml.trainer)),
            ]),
            Line::styled(
                format!(
                    " ml.train {} msg/s · ml.test {} msg/s · ml.metrics {} msg/s · {} series",
                    rate(stream_rate("ml.train")),
                    rate(stream_rate("ml.test")),
                    rate(stream_rate("ml.metrics")),
                    ml.series.len()
                ),
                theme.dim,
            ),
        ]),
        status,
    );
    if ml.series.is_empty() {
        let text = "No evaluations on ml.metrics yet. s starts a run: the producer streams the digits \
                    dataset to ml.train and ml.test, the trainer learns online and publishes accuracy.";
        frame.render_widget(
            Paragraph::new(text)
                .wrap(ratatui::widgets::Wrap { trim: true })
                .block(panel(" Machine learning ", true, theme)),
            body,
        );
        return;
    }
    let [charts, side] =
        Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(body);
    let [accuracy, loss] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(charts);
    let series: Vec<(&(String, String), &RunCurves)> = ml.series.iter().collect();
    let max_x = series
        .iter()
        .filter_map(|(_, s)| s.accuracy.last().map(|p| p.0))
        .fold(1.0, f64::max);
    let max_loss = series
        .iter()
        .flat_map(|(_, s)| s.loss.iter().map(|p| p.1))
        .fold(0.1, f64::max);
    let names: Vec<String> = series
        .iter()
        .map(|((run, model), _)| format!("{} {model}", short_run(run)))
        .collect();
    let datasets = |pick: fn(&RunCurves) -> &Vec<(f64, f64)>| -> Vec<Dataset> {
        series
            .iter()
            .enumerate()
            .map(|(i, (_, s))| {
                Dataset::default()
                    .name(names[i].clone())
                    .marker(Marker::Braille)
                    .graph_type(GraphType::Line)
                    .style(if theme.colors {
                        Style::new().fg(LINE_COLORS[i % LINE_COLORS.len()])
                    } else {
                        Style::new()
                    })
                    .data(pick(s))
            })
            .collect()
    };
    let x_axis = |title: &'static str| {
        Axis::default()
            .title(title)
            .bounds([0.0, max_x])
            .labels(["0".to_owned(), format!("{max_x:.0}")])
            .style(theme.dim)
    };
    frame.render_widget(
        Chart::new(datasets(|s| &s.accuracy))
            .legend_position(Some(LegendPosition::BottomRight))
            .hidden_legend_constraints((Constraint::Ratio(2, 3), Constraint::Ratio(2, 3)))
            .block(panel(" Accuracy on held-out samples ", true, theme))
            .x_axis(x_axis("samples seen"))
            .y_axis(
                Axis::default()
                    .bounds([0.0, 1.0])
                    .labels(["0", "0.5", "1"])
                    .style(theme.dim),
            ),
        accuracy,
    );
    frame.render_widget(
        Chart::new(datasets(|s| &s.loss))
            .block(panel(" Loss (cross-entropy) ", false, theme))
            .x_axis(x_axis("samples seen"))
            .y_axis(
                Axis::default()
                    .bounds([0.0, max_loss])
                    .labels(["0".to_owned(), format!("{max_loss:.2}")])
                    .style(theme.dim),
            ),
        loss,
    );
    render_confusion(frame, side, state, theme);
}

fn render_confusion(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(((run, model), series)) = state.ml.selected_series() else {
        return;
    };
    let title = format!(" {} {model} (Tab: next) ", short_run(run));
    let Some(latest) = &series.latest else {
        frame.render_widget(panel(title, false, theme), area);
        return;
    };
    let classes = latest.confusion.len();
    let mut lines = vec![Line::from(format!(
        "accuracy {:.3}  loss {:.3}  after {} samples, epoch {}",
        latest.accuracy, latest.loss, latest.samples_seen, latest.epoch
    ))];
    // Wide enough that neighbouring counts never run together.
    let widest = latest
        .confusion
        .iter()
        .flatten()
        .max()
        .map_or(1, |n| n.to_string().len());
    let cell = ((area.width.saturating_sub(6) as usize) / classes.max(1))
        .clamp(2, 5)
        .max(widest + 1);
    let mut header = String::from("t\\p ");
    for c in 0..classes {
        header.push_str(&format!("{c:>cell$}"));
    }
    lines.push(Line::styled(header, theme.header));
    for (t, row) in latest.confusion.iter().enumerate() {
        let mut spans = vec![Span::styled(format!("{t:>3} "), theme.header)];
        for (p, n) in row.iter().enumerate() {
            let style = if t == p {
                theme.good
            } else if *n > 0 {
                theme.bad
            } else {
                theme.dim
            };
            spans.push(Span::styled(format!("{n:>cell$}"), style));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(
        Paragraph::new(lines).block(panel(title, false, theme)),
        area,
    );
}
