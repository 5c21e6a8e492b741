//! `:brokers`: the brokers with what each leads, holds and stores, above the opened broker's
//! configs.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Paragraph, Row, Table};

use super::theme::Theme;
use super::{Column, config_row, fit_table, fitted_cells, kept_table, list_table, panel};
use crate::app::state::State;
use crate::decode::text::escape_str;
use crate::human::{bytes, count};

/// Returns the rows the focused table had room for.
pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> usize {
    let view = &state.brokers;
    let session = &state.session;
    let Some(cluster) = &session.cluster else {
        frame.render_widget(
            Paragraph::new("waiting for the cluster's metadata…").block(panel(
                " Brokers ",
                true,
                theme,
            )),
            area,
        );
        return area.height.saturating_sub(3) as usize;
    };
    let wanted = cluster.brokers.len() as u16 + 3;
    let [top, bottom] =
        Layout::vertical([Constraint::Max(wanted.max(5)), Constraint::Min(5)]).areas(area);
    let columns = [
        Column::new("ID", Constraint::Length(4), 0),
        Column::new("HOST:PORT", Constraint::Min(18), 0),
        Column::new("RACK", Constraint::Length(8), 4),
        Column::new("ROLE", Constraint::Length(10), 3),
        Column::new("LEADS", Constraint::Length(7), 1),
        Column::new("REPLICAS", Constraint::Length(8), 2),
        Column::new("ON DISK", Constraint::Length(10), 0),
    ];
    let (kept, widths) = fit_table(&columns, top);
    let make_row = |i: usize| {
        let b = &cluster.brokers[i];
        let (leads, replicas) = session.broker_loads.get(&b.id).copied().unwrap_or_default();
        Row::new(fitted_cells(
            vec![
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
            ],
            &kept,
            &widths,
        ))
    };
    let table = kept_table(&columns, &kept, theme)
        .row_highlight_style(theme.selected)
        .block(panel(
            format!(
                " Brokers ({}) — Enter shows configs ",
                cluster.brokers.len()
            ),
            !view.in_configs,
            theme,
        ));
    let broker_rows = list_table(
        frame,
        top,
        table,
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
                Paragraph::new(escape_str(e)).style(theme.bad).block(panel(
                    format!(" Configs of broker {id} "),
                    view.in_configs,
                    theme,
                )),
                bottom,
            );
            bottom.height.saturating_sub(3) as usize
        }
        Some((id, Ok(configs))) => {
            let make_row = |i: usize| config_row(&configs[i], view.raw, theme);
            let table = Table::new(
                Vec::<Row>::new(),
                [
                    Constraint::Min(30),
                    Constraint::Min(12),
                    Constraint::Length(16),
                ],
            )
            .header(Row::new(["NAME", "VALUE", "SOURCE"]).style(theme.header))
            .row_highlight_style(theme.selected)
            .block(panel(
                format!(
                    " Configs of broker {id} (* = set, not default) · u: values {} ",
                    if view.raw { "in units" } else { "as stored" }
                ),
                view.in_configs,
                theme,
            ));
            list_table(
                frame,
                bottom,
                table,
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
