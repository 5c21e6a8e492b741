//! One consumer group: per partition committed offset, high watermark, lag in messages and time,
//! owner, commit rate, status and a lag sparkline; the offset-reset preview.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Row, Table};

use super::groups::{group_style, partition_style};
use super::spark::spark_log;
use super::theme::Theme;
use super::{Column, fit_table, fitted_cells, kept_table, list_table, panel};
use crate::app::state::State;
use crate::app::views::group::ResetState;
use crate::decode::text::escape_str;
use crate::human::{count, duration, rate};
use crate::kafka::GroupKind;
use crate::lag::tracker::{GroupReport, PartitionReport};

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
    let members_height = if report.member_details.is_empty() {
        0
    } else {
        (report.member_details.len() as u16 + 3).min(area.height / 3)
    };
    let [summary, body, members] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(3),
        Constraint::Length(members_height),
    ])
    .areas(area);
    let (filled, full) = report.window_fill;
    let lag = report.total_lag.map_or_else(
        || "lag unknown (no commits)".to_owned(),
        |l| format!("lag {}", count(l)),
    );
    let members_text = report.members.map_or_else(
        || "members unknown".to_owned(),
        |m| crate::human::plural(m as i64, "member"),
    );
    let mut facts = format!(
        " {lag}  catch up {}  {} group  state {}  {members_text}",
        crate::human::catch_up(report.catch_up),
        escape_str(report.kind.as_str()),
        escape_str(&report.state),
    );
    if report.reconciling > 0 {
        facts.push_str(&format!(" ({} reconciling)", report.reconciling));
    }
    if !report.protocol.is_empty() {
        facts.push_str(&format!("  assignor {}", escape_str(&report.protocol)));
    }
    if let Some(epoch) = report.group_epoch {
        facts.push_str(&format!("  epoch {epoch}"));
    }
    let second = match (&report.note, report.kind == GroupKind::Share) {
        (Some(note), _) => escape_str(note),
        (None, true) => " a share group: START is where it resumes, TRAILS how far the high watermark is ahead of it (Kafka 4.1 reports no share lag)".to_owned(),
        (None, false) => format!(
            " status over the last {} commits per partition: windows {filled}/{full} full · lag time: ~ interpolated, > at least",
            state.session.tracker.window()
        ),
    };
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(vec![
                Span::styled(format!(" {} ", escape_str(&report.group)), theme.title),
                Span::styled(
                    format!(" {} ", report.status.label()),
                    group_style(theme, report.status),
                ),
                Span::raw(facts),
            ]),
            Line::styled(second, theme.dim),
        ]),
        summary,
    );
    if members_height > 0 {
        render_members(frame, members, report, theme);
    }
    let (columns, cells) = if report.kind == GroupKind::Share {
        share_columns(report, theme)
    } else {
        commit_columns(state, report, body, theme)
    };
    let (kept, widths) = fit_table(&columns, body);
    let make_row = |i: usize| {
        let (cells, style) = cells(i);
        Row::new(fitted_cells(cells, &kept, &widths)).style(style)
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

/// A row's cells and style, by index.
type Cells<'a> = Box<dyn Fn(usize) -> (Vec<String>, Style) + 'a>;

/// Groups that commit offsets: committed offset, lag in messages and time, status.
fn commit_columns<'a>(
    state: &'a State,
    report: &'a GroupReport,
    body: Rect,
    theme: &'a Theme,
) -> (Vec<Column>, Cells<'a>) {
    let spark_width = body.width.saturating_sub(110).clamp(4, 30) as usize;
    let columns = vec![
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
    let cells = move |i: usize| {
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
        let cells = vec![
            escape_str(&p.topic),
            p.partition.to_string(),
            p.committed.map_or_else(|| "-".into(), count),
            count(p.high_watermark),
            p.lag.map_or_else(|| "no commits".into(), count),
            lag_time,
            owner(p),
            p.commit_rate.map_or_else(|| "-".into(), rate),
            spark_log(&history, spark_width),
            p.status.label().to_owned(),
        ];
        (cells, partition_style(theme, p.status))
    };
    (columns, Box::new(cells))
}

/// Share groups: where the group resumes on each partition and how far the log is ahead.
fn share_columns<'a>(report: &'a GroupReport, theme: &'a Theme) -> (Vec<Column>, Cells<'a>) {
    let columns = vec![
        Column::new("TOPIC", Constraint::Min(14), 0),
        Column::new("P", Constraint::Length(4), 0),
        Column::new("START", Constraint::Length(11), 0),
        Column::new("HIGH", Constraint::Length(11), 2),
        Column::new("TRAILS", Constraint::Length(10), 1),
        Column::new("OWNER", Constraint::Length(22), 3),
    ];
    let cells = move |i: usize| {
        let p = &report.partitions[i];
        let cells = vec![
            escape_str(&p.topic),
            p.partition.to_string(),
            p.start_offset.map_or_else(|| "-".into(), count),
            count(p.high_watermark),
            p.start_trails_by.map_or_else(|| "-".into(), count),
            owner(p),
        ];
        (cells, theme.dim)
    };
    (columns, Box::new(cells))
}

fn owner(p: &PartitionReport) -> String {
    p.owner.as_ref().map_or_else(
        || "-".into(),
        |o| escape_str(&format!("{}@{}", o.client_id, o.host)),
    )
}

/// The group's members: who, which protocol, epoch, what it holds, and whether it reconciles.
fn render_members(frame: &mut Frame, area: Rect, report: &GroupReport, theme: &Theme) {
    let columns = [
        Column::new("MEMBER", Constraint::Min(18), 0),
        Column::new("PROTOCOL", Constraint::Length(9), 3),
        Column::new("EPOCH", Constraint::Length(6), 2),
        Column::new("PARTITIONS", Constraint::Length(10), 0),
        Column::new("STATE", Constraint::Length(12), 1),
        Column::new("ID", Constraint::Length(24), 4),
    ];
    let (kept, widths) = fit_table(&columns, area);
    let rows = report.member_details.iter().map(|m| {
        let cells = vec![
            escape_str(&format!("{}@{}", m.client_id, m.host)),
            escape_str(m.member_type.as_deref().unwrap_or(report.kind.as_str())),
            m.member_epoch.map_or_else(|| "-".into(), |e| e.to_string()),
            m.assignment.len().to_string(),
            if m.reconciling() {
                "reconciling".into()
            } else {
                "assigned".into()
            },
            escape_str(&m.member_id),
        ];
        Row::new(fitted_cells(cells, &kept, &widths))
    });
    let table =
        kept_table(&columns, &kept, theme)
            .rows(rows)
            .block(panel(" Members ", false, theme));
    frame.render_widget(table, area);
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
