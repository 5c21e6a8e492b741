//! `:brokers`: the brokers with what each leads, holds and stores, above the opened broker's
//! configs.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Paragraph, Wrap};

use super::table::{Col, Grid};
use super::theme::Theme;
use super::{config_cells, config_columns, panel, panel_for};
use crate::app::state::State;
use crate::decode::text::escape_str;
use crate::human::{bytes, count};

/// Returns the rows the focused table had room for.
pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> usize {
    let view = &state.brokers;
    let session = &state.session;
    let Some(cluster) = &session.cluster else {
        frame.render_widget(
            Paragraph::new(super::waiting_for(state, "the cluster's metadata"))
                .wrap(Wrap { trim: true })
                .block(panel(" Brokers ", true, theme)),
            area,
        );
        return area.height.saturating_sub(3) as usize;
    };
    let wanted = cluster.brokers.len() as u16 + 3;
    let [top, bottom] =
        Layout::vertical([Constraint::Max(wanted.max(5)), Constraint::Min(5)]).areas(area);
    let columns = [
        Col::whole("ID", 0),
        Col::text("HOST:PORT", 14, 0),
        Col::text("RACK", 4, 4),
        Col::text("ROLE", 10, 3),
        Col::whole("LEADS", 1),
        Col::whole("REPLICAS", 2),
        Col::whole("ON DISK", 0),
        Col::whole("FREE", 2),
        Col::text("QUORUM", 8, 3),
    ];
    let health = state.operate.health.as_ref();
    let quorum = health.and_then(|h| h.quorum.as_ref().ok());
    let make_row = |i: usize| {
        let b = &cluster.brokers[i];
        let (leads, replicas) = session.broker_loads.get(&b.id).copied().unwrap_or_default();
        let cells = vec![
            b.id.to_string(),
            escape_str(&b.addr()),
            b.rack
                .as_deref()
                .map(escape_str)
                .unwrap_or_else(|| "-".into()),
            if b.id == cluster.controller_id {
                "controller"
            } else {
                ""
            }
            .to_owned(),
            count(leads as i64),
            count(replicas as i64),
            session
                .broker_sizes
                .get(&b.id)
                .map_or_else(|| "-".to_owned(), |n| bytes(*n)),
            // Unknown until read, or when the broker does not say: never a 0.
            health
                .and_then(|h| h.disks.get(&b.id))
                .and_then(|d| d.free.zip(d.total))
                .map_or_else(
                    || "?".to_owned(),
                    |(free, total)| format!("{} of {}", bytes(free), bytes(total)),
                ),
            quorum.map_or_else(|| "?".to_owned(), |q| quorum_role(q, b.id)),
        ];
        (cells, Style::default())
    };
    let block = panel_for(
        top,
        format!(
            " Brokers ({}){} — Enter shows configs ",
            cluster.brokers.len(),
            match health.map(|h| &h.quorum) {
                Some(Ok(q)) => format!(", KRaft leader {} epoch {}", q.leader, q.leader_epoch),
                Some(Err(e)) => format!(", quorum unknown: {}", escape_str(e)),
                None => String::new(),
            }
        ),
        !view.in_configs,
        theme,
    );
    let broker_rows = Grid::new(&columns, block).list(
        frame,
        top,
        theme,
        &view.list,
        cluster.brokers.len(),
        make_row,
    );

    let config_rows = match &view.configs {
        None => {
            let text = if view.in_configs {
                "loading…"
            } else {
                "Enter on a broker shows its configs"
            };
            frame.render_widget(
                Paragraph::new(text).block(panel(" Configs ", view.in_configs, theme)),
                bottom,
            );
            bottom.height.saturating_sub(3) as usize
        }
        Some((id, Err(e))) => {
            frame.render_widget(
                Paragraph::new(escape_str(e))
                    .wrap(Wrap { trim: true })
                    .style(theme.bad)
                    .block(panel(
                        format!(" Configs of broker {id} "),
                        view.in_configs,
                        theme,
                    )),
                bottom,
            );
            bottom.height.saturating_sub(3) as usize
        }
        Some((id, Ok(configs))) => {
            let columns = config_columns();
            let make_row = |i: usize| config_cells(&configs[i], view.raw, theme);
            let block = panel_for(
                bottom,
                format!(
                    " Configs of broker {id} (* = set, not default) · u: values {} ",
                    if view.raw { "in units" } else { "as stored" }
                ),
                view.in_configs,
                theme,
            );
            Grid::new(&columns, block).list(
                frame,
                bottom,
                theme,
                &view.config_list,
                configs.len(),
                make_row,
            )
        }
    };
    if view.in_configs {
        config_rows
    } else {
        broker_rows
    }
}

/// A broker's part in the KRaft quorum: "leader", "voter", "voter, 120 behind", "voter, lag unknown",
/// "observer",
/// or "-" for a node the quorum does not list.
fn quorum_role(quorum: &crate::kafka::client::Quorum, id: i32) -> String {
    let Some(member) = quorum.members.iter().find(|m| m.id == id) else {
        return "-".into();
    };
    let role = match (id == quorum.leader, member.voter) {
        (true, _) => "leader",
        (false, true) => "voter",
        (false, false) => "observer",
    };
    match quorum.behind(member) {
        Some(0) => role.to_owned(),
        Some(behind) => format!("{role}, {behind} behind"),
        None => format!("{role}, lag unknown"),
    }
}
