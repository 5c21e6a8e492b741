//! `:transactions`: every transactional id with its state, producer, age and partitions, and
//! below, the hanging transactions (open past 15 minutes, no coordinator to end them).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Paragraph, Wrap};

use super::table::{Col, Grid};
use super::theme::Theme;
use super::{panel, panel_for};
use crate::app::state::State;
use crate::app::views::transactions::Focus;
use crate::decode::text::escape_str;
use crate::human::{count, duration};

/// Returns the rows the focused table had room for.
pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> usize {
    let view = &state.transactions;
    let snapshot = match &view.snapshot {
        Some(Ok(s)) => s,
        other => {
            let text = match other {
                Some(Err(e)) => format!("cannot read the transactions: {}", escape_str(e)),
                _ => super::waiting_for(state, "the transactions"),
            };
            frame.render_widget(
                Paragraph::new(text).wrap(Wrap { trim: true }).block(panel(
                    " Transactions ",
                    true,
                    theme,
                )),
                area,
            );
            return area.height.saturating_sub(3) as usize;
        }
    };
    let hanging_height = (snapshot.hanging.len() as u16 + 3).clamp(3, area.height / 2);
    let [top, bottom] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(hanging_height)]).areas(area);
    let columns = [
        Col::text("TRANSACTIONAL ID", 12, 0),
        Col::text("STATE", 8, 0),
        Col::whole("PRODUCER", 1),
        Col::whole("OPEN FOR", 2),
        Col::whole("TIMEOUT", 4),
        Col::text("PARTITIONS", 10, 3),
    ];
    let rows = |i: usize| {
        let row = &snapshot.transactions[i];
        let d = row.description.as_ref();
        let open = d.filter(|d| d.is_open());
        let cells = vec![
            escape_str(&row.listing.transactional_id),
            escape_str(d.map_or(&row.listing.state, |d| &d.state)),
            match d {
                Some(d) => format!("{}/{}", row.listing.producer_id, d.producer_epoch),
                None => row.listing.producer_id.to_string(),
            },
            open.and_then(|d| d.started_ms)
                .map_or_else(|| "-".into(), |s| duration((snapshot.at_ms - s).max(0))),
            d.map_or_else(|| "-".into(), |d| duration(i64::from(d.timeout_ms))),
            d.map(|d| {
                d.partitions
                    .iter()
                    .map(|(t, p)| format!("{}/{p}", escape_str(t)))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "-".into()),
        ];
        let style = if open.is_some() {
            theme.warn
        } else {
            Style::default()
        };
        (cells, style)
    };
    let title = format!(
        " Transactions ({}, {} open){} ",
        snapshot.transactions.len(),
        snapshot
            .transactions
            .iter()
            .filter(|r| r.description.as_ref().is_some_and(|d| d.is_open()))
            .count(),
        if view.loading { " reading…" } else { "" }
    );
    let focused = view.focus == Focus::Transactions;
    let room = Grid::new(&columns, panel_for(top, title, focused, theme)).list(
        frame,
        top,
        theme,
        &view.list,
        snapshot.transactions.len(),
        rows,
    );
    let hanging_block = panel_for(
        bottom,
        format!(
            " Hanging: open past 15m with no coordinator to end them ({}) ",
            snapshot.hanging.len()
        ),
        !focused,
        theme,
    );
    if snapshot.hanging.is_empty() {
        frame.render_widget(
            Paragraph::new("none: every open transaction has a coordinator that will end it")
                .wrap(Wrap { trim: true })
                .block(hanging_block),
            bottom,
        );
        return room;
    }
    let columns = [
        Col::text("TOPIC", 10, 0),
        Col::whole("P", 0),
        Col::whole("PRODUCER", 1),
        Col::whole("START", 0),
        Col::whole("OPEN FOR", 2),
    ];
    let hanging_rows = |i: usize| {
        let h = &snapshot.hanging[i];
        let cells = vec![
            escape_str(&h.topic),
            h.partition.to_string(),
            format!("{}/{}", h.producer_id, h.producer_epoch),
            h.open_transaction_from.map_or_else(|| "-".into(), count),
            duration((snapshot.at_ms - h.last_timestamp).max(0)),
        ];
        (cells, theme.bad)
    };
    let hanging_room = Grid::new(&columns, hanging_block).list(
        frame,
        bottom,
        theme,
        &view.hanging_list,
        snapshot.hanging.len(),
        hanging_rows,
    );
    if focused { room } else { hanging_room }
}
