//! One topic: partitions (leader, replicas, ISR, watermarks, throughput), a skew strip showing
//! which partitions take the traffic, and the configs tab.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs};

use super::spark::spark_text;
use super::table::{Col, Grid};
use super::theme::Theme;
use super::{config_cells, config_columns, panel_for};
use crate::app::state::State;
use crate::app::stats::PartitionStats;
use crate::app::views::topic::TopicPane;
use crate::decode::text::escape_str;
use crate::human::{count, rate};

/// Returns the rows the shown table had room for.
pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> usize {
    let name = &state.topic.name;
    let Some(info) = state.topic_info(name) else {
        frame.render_widget(
            Paragraph::new(format!(
                "topic {} is not in the cluster metadata",
                escape_str(name)
            ))
            .wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return area.height.saturating_sub(3) as usize;
    };
    let stats = state.session.stats.topics.get(name);
    let mut pieces = vec![
        Span::styled(format!(" {} ", escape_str(name)), theme.title),
        Span::raw(format!(" partitions {}", info.partitions.len())),
        Span::raw(format!("  replication {}", info.replication_factor())),
        Span::raw(format!(
            "  messages {}",
            stats.map_or_else(|| "-".into(), |s| count(s.messages))
        )),
        Span::raw(format!(
            "  {} msg/s",
            stats.map_or_else(|| "-".into(), |s| rate(s.rate))
        )),
    ];
    if info.internal {
        pieces.push(Span::raw("  (internal)"));
    }
    // What open transactions hold back from committed readers.
    let held = info
        .partitions
        .iter()
        .filter(|p| state.session.unstable.contains_key(&(name.clone(), p.id)))
        .count();
    if held > 0 {
        let phrase = match &state.topic.transactions {
            Some(Ok(u)) => crate::collect::transactions::summary(u, state.utc_offset),
            _ => None,
        }
        .unwrap_or_else(|| {
            format!(
                "open transactions hold {}",
                crate::human::plural(held as i64, "partition")
            )
        });
        pieces.push(Span::styled(
            format!("  {phrase} (STABLE below HIGH)"),
            theme.warn,
        ));
    }
    // Who may read and write it (its ACLs), and its replicas on the move.
    use crate::app::views::operate::{access_line, moving_line};
    if let Some(line) = access_line(state, crate::kafka::acl::ResourceKind::Topic, name) {
        pieces.push(Span::raw(format!("  {}", escape_str(&line))));
    }
    if let Some(line) = moving_line(state, name) {
        pieces.push(Span::styled(format!("  {line}"), theme.warn));
    }
    if let Some(line) = crate::app::views::connect::topic_line(state, name) {
        pieces.push(Span::raw(format!("  {}", escape_str(&line))));
    }
    let lines = super::flow(pieces, area.width);
    let summary_height = (lines.len() as u16).clamp(1, 4);
    let [summary, tabs, body, skew] = Layout::vertical([
        Constraint::Length(summary_height),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(lines), summary);
    let selected_tab = match state.topic.pane {
        TopicPane::Partitions => 0,
        TopicPane::Configs => 1,
    };
    frame.render_widget(
        Tabs::new(["Partitions", "Configs"])
            .select(selected_tab)
            .highlight_style(theme.selected),
        tabs,
    );
    let room = match state.topic.pane {
        TopicPane::Partitions => render_partitions(frame, body, state, theme, info),
        TopicPane::Configs => render_configs(frame, body, state, theme),
    };
    // Skew: each partition's share of the traffic (of the messages when the topic is idle).
    let per_partition = |of: fn(&PartitionStats) -> u64| -> Vec<u64> {
        info.partitions
            .iter()
            .map(|p| state.session.stats.partition(name, p.id).map_or(0, of))
            .collect()
    };
    let rates = per_partition(|s| s.rate.round() as u64);
    let (shares, what) = if rates.iter().any(|r| *r > 0) {
        (rates, "msg/s")
    } else {
        (per_partition(|s| s.marks.messages() as u64), "messages")
    };
    let width = (skew.width as usize).saturating_sub(30).min(shares.len());
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(
                format!(" skew by {what} (p0→p{}) ", shares.len().saturating_sub(1)),
                theme.dim,
            ),
            Span::styled(spark_text(&shares[..width], width), theme.sparkline),
        ])),
        skew,
    );
    room
}

fn ids(v: &[i32]) -> String {
    v.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
}

fn render_partitions(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    theme: &Theme,
    info: &crate::kafka::TopicInfo,
) -> usize {
    let spark_width = area.width.saturating_sub(76).clamp(4, 40);
    // The last stable offset beside the high watermark, where transactions hold one back.
    let unstable = |p: i32| state.session.unstable.get(&(info.name.clone(), p)).copied();
    let show_stable = info.partitions.iter().any(|p| unstable(p.id).is_some());
    let mut columns = vec![
        Col::whole("P", 0),
        Col::whole("LEADER", 0),
        Col::text("REPLICAS", 8, 3),
        Col::text("ISR", 8, 1),
        Col::whole("LOW", 4),
        Col::whole("HIGH", 2),
        Col::whole("MESSAGES", 0),
        Col::text("MSG/S", 5, 3),
        Col::graph("TREND", spark_width, 6),
    ];
    if show_stable {
        columns.insert(6, Col::whole("STABLE", 1));
    }
    let make_row = |i: usize| {
        let p = &info.partitions[i];
        let stats = state.session.stats.partition(&info.name, p.id);
        let mut cells = vec![
            p.id.to_string(),
            if p.is_offline() {
                "none".into()
            } else {
                p.leader.to_string()
            },
            ids(&p.replicas),
            // Marked in text too, so it reads without colour (NO_COLOR).
            if p.is_under_replicated() {
                format!("{} !", ids(&p.isr))
            } else {
                ids(&p.isr)
            },
            stats.map_or_else(|| "-".into(), |s| count(s.marks.low)),
            stats.map_or_else(|| "-".into(), |s| count(s.marks.high)),
            stats.map_or_else(|| "-".into(), |s| count(s.marks.messages())),
            stats.map_or_else(
                || "-".into(),
                |s| {
                    if s.stale {
                        format!("{} stale", rate(s.rate))
                    } else {
                        rate(s.rate)
                    }
                },
            ),
            spark_text(
                &stats
                    .map(|s| s.history.last(spark_width as usize))
                    .unwrap_or_default(),
                spark_width as usize,
            ),
        ];
        if show_stable {
            cells.insert(6, unstable(p.id).map_or_else(String::new, count));
        }
        let style = if p.is_offline() {
            theme.bad
        } else if p.is_under_replicated() {
            theme.warn
        } else {
            Style::default()
        };
        (cells, style)
    };
    let block = panel_for(area, " Partitions (Enter: messages) ", true, theme);
    let len = info.partitions.len();
    Grid::new(&columns, block).list(frame, area, theme, &state.topic.partitions, len, make_row)
}

fn render_configs(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> usize {
    let title = if state.topic.raw_configs {
        " Configs (* = not default) · values as stored (u: in units) · e edits "
    } else {
        " Configs (* = not default) · u: values as stored · e edits "
    };
    let block = panel_for(area, title, true, theme);
    match &state.topic.configs {
        None => {
            frame.render_widget(Paragraph::new("loading…").block(block), area);
            area.height.saturating_sub(3) as usize
        }
        Some(Err(e)) => {
            frame.render_widget(
                Paragraph::new(escape_str(e))
                    .wrap(ratatui::widgets::Wrap { trim: true })
                    .style(theme.bad)
                    .block(block),
                area,
            );
            area.height.saturating_sub(3) as usize
        }
        Some(Ok(configs)) => {
            let columns = config_columns();
            let make_row = |i: usize| config_cells(&configs[i], state.topic.raw_configs, theme);
            let list = &state.topic.config_list;
            Grid::new(&columns, block).list(frame, area, theme, list, configs.len(), make_row)
        }
    }
}
