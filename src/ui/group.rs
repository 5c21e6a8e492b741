//! One consumer group: per partition committed offset, high watermark, lag in messages and time,
//! owner, commit rate, status and a lag sparkline; the offset-reset preview.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Clear, Paragraph};

use super::groups::{group_style, partition_style};
use super::spark::spark_log;
use super::table::{Cells, Col, Grid};
use super::theme::Theme;
use super::{flow, panel};
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
    let lag = report.total_lag.map_or_else(
        || "lag unknown (no commits)".to_owned(),
        |l| format!("lag {}", count(l)),
    );
    let members_text = report.members.map_or_else(
        || "members unknown".to_owned(),
        |m| crate::human::plural(m as i64, "member"),
    );
    let mut pieces = vec![
        Span::styled(format!(" {} ", escape_str(&report.group)), theme.title),
        Span::styled(
            format!(" {} ", report.status.label()),
            group_style(theme, report.status),
        ),
        Span::raw(format!(" {lag}")),
        Span::raw(format!(
            "  catch up {}",
            crate::human::catch_up(report.catch_up)
        )),
        Span::raw(format!("  {} group", escape_str(report.kind.as_str()))),
        Span::raw(format!("  state {}", escape_str(&report.state))),
        Span::raw(format!("  {members_text}")),
    ];
    if report.reconciling > 0 {
        pieces.push(Span::styled(
            format!("  {} reconciling", report.reconciling),
            theme.warn,
        ));
    }
    if !report.protocol.is_empty() {
        pieces.push(Span::raw(format!(
            "  assignor {}",
            escape_str(&report.protocol)
        )));
    }
    if let Some(epoch) = report.group_epoch {
        pieces.push(Span::raw(format!("  epoch {epoch}")));
    }
    if let Some(line) = crate::app::views::operate::access_line(
        state,
        crate::kafka::acl::ResourceKind::Group,
        &state.group.name,
    ) {
        pieces.push(Span::raw(format!("  {}", escape_str(&line))));
    }
    if let Some(line) = crate::app::views::connect::group_line(state, &state.group.name) {
        pieces.push(Span::styled(format!("  {}", escape_str(&line)), theme.key));
    }
    let (filled, full) = report.window_fill;
    let note = match (&report.note, report.kind == GroupKind::Share) {
        (Some(note), _) => escape_str(note),
        (None, true) => "a share group: START is where it resumes, TRAILS how far the high watermark is ahead of it (Kafka 4.1 reports no share lag)".to_owned(),
        (None, false) => format!(
            "status over the last {} commits per partition: windows {filled}/{full} full · lag time: ~ interpolated, > at least",
            state.session.tracker.window()
        ),
    };
    let mut lines = flow(pieces, area.width);
    lines.extend(flow(
        note.split_inclusive(' ')
            .map(|w| Span::styled(w.to_owned(), theme.dim))
            .collect(),
        area.width,
    ));
    let summary_height = (lines.len() as u16).min(area.height / 3).max(1);
    let [summary, body, members] = Layout::vertical([
        Constraint::Length(summary_height),
        Constraint::Min(3),
        Constraint::Length(members_height),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(lines), summary);
    if members_height > 0 {
        render_members(frame, members, report, theme);
    }
    let (columns, cells) = if report.kind == GroupKind::Share {
        share_columns(report, theme)
    } else {
        commit_columns(state, report, body, theme)
    };
    let block = panel(" Partitions ", true, theme);
    let len = report.partitions.len();
    let room = Grid::new(&columns, block).list(frame, body, theme, &state.group.list, len, cells);
    if let Some(reset) = &state.group.reset {
        render_reset(frame, body, theme, reset);
    }
    room
}

/// A row's cells and style, by index.
type RowCells<'a> = Box<dyn Fn(usize) -> Cells + 'a>;

/// Groups that commit offsets: committed offset, lag in messages and time, status.
fn commit_columns<'a>(
    state: &'a State,
    report: &'a GroupReport,
    body: Rect,
    theme: &'a Theme,
) -> (Vec<Col>, RowCells<'a>) {
    let spark_width = body.width.saturating_sub(110).clamp(4, 30) as usize;
    // The offsets matter more than who holds them: OWNER (often `-`) goes before them.
    let columns = vec![
        Col::text("TOPIC", 14, 0),
        Col::whole("P", 0),
        Col::whole("COMMITTED", 3),
        Col::whole("HIGH", 4),
        Col::text("LAG", 10, 0),
        Col::text("LAG TIME", 8, 2),
        Col::text("OWNER", 10, 5),
        Col::text("COMMIT/S", 8, 6),
        Col::graph("TREND (log)", spark_width as u16, 7),
        Col::whole("STATUS", 1),
    ];
    let cells = move |i: usize| {
        let p = &report.partitions[i];
        let history = state
            .groups
            .partition_trend(&report.group, &p.topic, p.partition)
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
            match (p.lag, p.held_by_open_transactions) {
                (None, _) => "no commits".into(),
                (Some(l), Some(held)) => format!("{} ({} in txns)", count(l), count(held)),
                (Some(l), None) => count(l),
            },
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
fn share_columns<'a>(report: &'a GroupReport, theme: &'a Theme) -> (Vec<Col>, RowCells<'a>) {
    let columns = vec![
        Col::text("TOPIC", 14, 0),
        Col::whole("P", 0),
        Col::whole("START", 0),
        Col::whole("HIGH", 2),
        Col::whole("TRAILS", 1),
        Col::text("OWNER", 10, 3),
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
        Col::text("MEMBER", 14, 0),
        Col::text("PROTOCOL", 8, 3),
        Col::whole("EPOCH", 2),
        Col::whole("PARTITIONS", 0),
        Col::whole("STATE", 1),
        Col::text("ID", 8, 4),
    ];
    let rows = report
        .member_details
        .iter()
        .map(|m| {
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
            (cells, Style::default())
        })
        .collect();
    Grid::new(&columns, panel(" Members ", false, theme)).rows(frame, area, theme, rows);
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
            let columns = [
                Col::text("TOPIC", 10, 0),
                Col::whole("P", 0),
                Col::whole("OLD", 0),
                Col::whole("NEW", 0),
                Col::whole("LAG AFTER", 0),
            ];
            let rows = plans
                .iter()
                .map(|p| {
                    let cells = vec![
                        escape_str(&p.topic),
                        p.partition.to_string(),
                        p.old_offset.map_or_else(|| "-".into(), count),
                        count(p.new_offset),
                        count(p.new_lag),
                    ];
                    (cells, Style::default())
                })
                .collect();
            let block = block.title_bottom(" type the group name below to apply, Esc cancels ");
            Grid::new(&columns, block).rows(frame, popup, theme, rows);
        }
    }
}
