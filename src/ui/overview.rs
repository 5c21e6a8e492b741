//! The overview: cluster totals with throughput, the brokers, and the busiest topics.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

use super::table::{Col, Grid};
use super::theme::Theme;
use super::{panel, panel_for};
use crate::app::state::State;
use crate::decode::text::escape_str;
use crate::human::{count, rate};

pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let [top, bottom] = Layout::vertical([Constraint::Length(9), Constraint::Min(3)]).areas(area);
    let [totals, brokers] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
    render_totals(frame, totals, state, theme);
    render_brokers(frame, brokers, state, theme);
    render_busiest(frame, bottom, state, theme);
}

fn render_totals(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let block = panel(" Cluster (internal topics apart) ", false, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if state.session.cluster.is_none() {
        frame.render_widget(
            Paragraph::new(super::waiting_for(state, "cluster metadata"))
                .wrap(ratatui::widgets::Wrap { trim: true }),
            inner,
        );
        return;
    }
    let counts = state.session.counts;
    let (topics, partitions, under, offline) = (
        counts.topics,
        counts.partitions,
        counts.under_replicated,
        counts.offline,
    );
    let flag = |n: usize, bad| if n > 0 { bad } else { theme.good };
    let lines = vec![
        Line::from(format!("topics {topics}   partitions {partitions}")),
        Line::from(format!(
            "messages {}",
            count(state.session.stats.total_messages)
        )),
        Line::from(vec![
            Span::raw("under-replicated "),
            Span::styled(under.to_string(), flag(under, theme.warn)),
            Span::raw("   offline "),
            Span::styled(offline.to_string(), flag(offline, theme.bad)),
            if counts.internal_unhealthy > 0 {
                Span::styled(
                    format!("   internal: {} unwell", counts.internal_unhealthy),
                    theme.bad,
                )
            } else {
                Span::raw("")
            },
        ]),
        Line::from(vec![
            Span::raw("throughput "),
            Span::styled(
                format!("{} msg/s", rate(state.session.stats.cluster_rate)),
                theme.header,
            ),
        ]),
    ];
    let [text, spark] = Layout::vertical([Constraint::Length(4), Constraint::Min(1)]).areas(inner);
    frame.render_widget(Paragraph::new(lines), text);
    let history = state
        .session
        .stats
        .cluster_history
        .last(spark.width as usize);
    frame.render_widget(
        Sparkline::default().data(&history).style(theme.sparkline),
        spark,
    );
}

fn render_brokers(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(cluster) = &state.session.cluster else {
        frame.render_widget(panel(" Brokers ", false, theme), area);
        return;
    };
    let columns = [
        Col::whole("ID", 0),
        Col::text("HOST:PORT", 12, 0),
        Col::text("RACK", 4, 2),
        Col::text("ROLE", 10, 1),
    ];
    let rows = cluster
        .brokers
        .iter()
        .map(|b| {
            let role = if b.id == cluster.controller_id {
                "controller"
            } else {
                ""
            };
            let cells = vec![
                b.id.to_string(),
                escape_str(&b.addr()),
                b.rack
                    .as_deref()
                    .map(escape_str)
                    .unwrap_or_else(|| "-".into()),
                role.to_owned(),
            ];
            (cells, Style::default())
        })
        .collect();
    let block = panel(
        format!(" Brokers ({}) ", cluster.brokers.len()),
        false,
        theme,
    );
    Grid::new(&columns, block).rows(frame, area, theme, rows);
}

fn render_busiest(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut topics: Vec<(&String, f64, i64)> = state
        .session
        .stats
        .topics
        .iter()
        .filter(|(name, _)| state.topic_info(name).is_some_and(|t| !t.internal))
        .map(|(name, s)| (name, s.rate, s.messages))
        .collect();
    topics.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(b.0)));
    // As wide as the history so far: the header stands over the bars, not over blank room.
    let samples = state.session.stats.cluster_history.len() as u16;
    let spark_width = area
        .width
        .saturating_sub(50)
        .clamp(5, 60)
        .min(samples.max(5));
    let columns = [
        Col::text("TOPIC", 16, 0),
        Col::whole("MSG/S", 0),
        Col::whole("MESSAGES", 1),
        Col::graph("TREND", spark_width, 2),
    ];
    let rows = topics
        .iter()
        .take(area.height as usize)
        .map(|(name, r, messages)| {
            let history = state
                .session
                .stats
                .topics
                .get(*name)
                .map(|s| s.history.last(spark_width as usize))
                .unwrap_or_default();
            let cells = vec![
                escape_str(name),
                rate(*r),
                count(*messages),
                super::spark::spark_text(&history, spark_width as usize),
            ];
            (cells, Style::default())
        })
        .collect();
    let block = panel_for(area, " Busiest topics (t: all topics) ", false, theme);
    Grid::new(&columns, block).rows(frame, area, theme, rows);
}
