//! The message browser: a list of records and the detail of the selected one.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph, Wrap};

use super::panel;
use super::table::{Col, Grid};
use super::theme::Theme;
use crate::app::state::State;
use crate::app::views::messages::{Filter, Focus};
use crate::decode::text::escape_str;
use crate::human::count;
use crate::kafka::StartAt;
use crate::kafka::records::{Isolation, TxnMark};

fn start_label(start: StartAt) -> String {
    match start {
        StartAt::Beginning => "beginning".into(),
        StartAt::End => "end".into(),
        StartAt::Offset(o) => format!("offset {o}"),
        StartAt::FromEnd(n) => format!("last {n}"),
        StartAt::Timestamp(ms) => format!("time {}", crate::human::time(ms, None)),
    }
}

/// Returns the rows the message list had room for.
pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> usize {
    let m = &state.messages;

    let partition = m
        .partition
        .map_or_else(|| "all partitions".to_owned(), |p| format!("partition {p}"));
    let mode = if m.follow {
        "live ●"
    } else if m.done {
        "done (f: live tail)"
    } else {
        "reading"
    };
    let mut spans = vec![
        Span::styled(format!(" {} ", escape_str(&m.topic)), theme.title),
        Span::raw(format!(
            " {partition} · from {} · {mode} · {} loaded",
            start_label(m.start),
            count(m.len() as i64)
        )),
    ];
    if let Some(search) = &m.search {
        let how = match (m.done, m.stopped) {
            (false, _) => "searching",
            (true, true) => "search stopped at",
            (true, false) if m.len() >= crate::app::views::messages::SEARCH_MATCHES => {
                "search stopped at the first"
            }
            (true, false) => "searched",
        };
        spans.push(Span::styled(
            format!(
                " · {how} {} for {}: {} scanned",
                match m.len() {
                    1 => "1 match".to_owned(),
                    n => format!("{} matches", count(n as i64)),
                },
                escape_str(search),
                count(m.progress.read)
            ),
            theme.key,
        ));
    }
    if m.skipped > 0 {
        spans.push(Span::styled(
            format!(" · {} skipped to keep up", count(m.skipped as i64)),
            theme.warn,
        ));
    }
    if m.dropped > 0 {
        spans.push(Span::styled(
            format!(" · {} dropped (ring full)", count(m.dropped as i64)),
            theme.warn,
        ));
    }
    if m.marked_len() > 0 {
        spans.push(Span::styled(
            format!(
                " · {} marked (> send, w save, x clear)",
                count(m.marked_len() as i64)
            ),
            theme.key,
        ));
    }
    if let Some(f) = &m.filter {
        let kind = if matches!(f, Filter::Regex(_)) {
            "regex"
        } else {
            "filter"
        };
        spans.push(Span::raw(format!(
            " · {kind} {} ({} shown)",
            escape_str(&f.text()),
            count(m.visible_len() as i64)
        )));
    }
    if m.isolation == Isolation::ReadUncommitted {
        spans.push(Span::styled(
            " · read uncommitted: aborted records shown, marked (I: committed only)",
            theme.warn,
        ));
    }
    if let Some(e) = &m.error {
        spans.push(Span::styled(format!(" · {}", escape_str(e)), theme.bad));
    }
    // The facts flow onto as many lines as they need (a search's count never runs off the
    // edge); a range being read adds its progress bar below them.
    let reading_range = !m.follow && !m.done && m.progress.total > 0;
    let lines = super::flow(spans, area.width);
    let text_height = (lines.len() as u16).clamp(1, 4);
    let [status, gauge, body] = Layout::vertical([
        Constraint::Length(text_height),
        Constraint::Length(u16::from(reading_range)),
        Constraint::Min(3),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(lines), status);
    if reading_range {
        let ratio = (m.progress.read as f64 / m.progress.total as f64).clamp(0.0, 1.0);
        frame.render_widget(Gauge::default().ratio(ratio).gauge_style(theme.good), gauge);
    }

    let wide = body.width >= 140;
    let [list, detail] = if wide {
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body)
    } else {
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body)
    };

    let shown = m
        .list
        .visible(m.visible_len(), list.height.saturating_sub(3) as usize);
    let mut rows = m.visible_from(shown.start);
    // A narrow list keeps the time of day (to the millisecond) and lets the date go first.
    let date_fits = list.width >= 72;
    let zone = format!("TIME ({})", crate::human::zone(state.utc_offset));
    let make_row = |_| {
        let r = rows
            .next()
            .expect("the shown range is within the visible rows");
        let time = crate::human::time(r.message.timestamp_ms, state.utc_offset);
        let time = if date_fits {
            time
        } else {
            time.split_once(' ')
                .map_or(time.as_str(), |(_, t)| t)
                .to_owned()
        };
        // Read uncommitted: a record of an aborted (or still open) transaction says so first.
        let (value, style) = match r.message.txn {
            TxnMark::Aborted => (format!("[aborted] {}", r.value_preview()), theme.warn),
            TxnMark::Open => (format!("[open txn] {}", r.value_preview()), theme.dim),
            _ => (r.value_preview(), ratatui::style::Style::default()),
        };
        // A marked record says so before its partition (and keeps it in every colour scheme).
        let partition = if m.is_marked(r) {
            format!("●{}", r.message.partition)
        } else {
            r.message.partition.to_string()
        };
        let style = if m.is_marked(r) { theme.key } else { style };
        let cells = vec![
            partition,
            r.message.offset.to_string(),
            time,
            r.key_preview(),
            value,
        ];
        (cells, style)
    };
    let columns = [
        Col::whole("P", 0),
        Col::whole("OFFSET", 0),
        Col::whole("TIME", 0),
        Col::text("KEY", 6, 1),
        Col::text("VALUE", 10, 0),
    ];
    let headers = vec![
        "P".to_owned(),
        "OFFSET".to_owned(),
        zone,
        "KEY".to_owned(),
        "VALUE".to_owned(),
    ];
    let block = panel(" Messages ", m.focus == Focus::List, theme);
    let room = Grid::new(&columns, block).headers(headers).list(
        frame,
        list,
        theme,
        &m.list,
        m.visible_len(),
        make_row,
    );

    let detail_block = panel(" Detail ", m.focus == Focus::Detail, theme);
    let lines: Vec<Line> = m
        .detail_lines()
        .iter()
        .map(|l| super::styled::line(l, theme))
        .collect();
    let paragraph = if lines.is_empty() {
        let empty = match (&m.search, m.done, m.is_empty()) {
            (Some(search), true, true) => format!(
                "no match for {} in {} records",
                escape_str(search),
                count(m.progress.read)
            ),
            (Some(_), false, true) => {
                format!("no match yet in {} records", count(m.progress.read))
            }
            (None, _, true) => "no messages yet".to_owned(),
            (_, _, _) => "no message selected".to_owned(),
        };
        Paragraph::new(empty).wrap(Wrap { trim: true })
    } else {
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((m.detail_scroll, 0))
    };
    frame.render_widget(paragraph.block(detail_block), detail);
    room
}
