//! `:connect`: the connectors as a table coloured by state, and one connector's detail (tasks,
//! failure, config) as wrapped text that scrolls — nothing a worker says is cut.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::table::{Col, Grid};
use super::theme::Theme;
use super::{panel, panel_for};
use crate::app::state::State;
use crate::app::views::connect::Row;
use crate::connect::{Connector, first_line};
use crate::decode::text::escape_str;

fn state_style(state: &str, theme: &Theme) -> Style {
    match state {
        "FAILED" | "UNKNOWN" => theme.bad,
        "PAUSED" | "STOPPED" => theme.warn,
        "RUNNING" => Style::default(),
        _ => theme.dim,
    }
}

/// "1/2" running of all, and the failed count when there are any.
fn tasks(c: &Connector) -> String {
    let failed = c.failed_tasks();
    let mut s = format!("{}/{} running", c.running_tasks(), c.tasks.len());
    if failed > 0 {
        s.push_str(&format!(", {failed} failed"));
    }
    s
}

/// A failure's first line with the exception's package left out, for the table:
/// `ConnectException: …` for `org.apache.kafka.connect.errors.ConnectException: …`.
fn short_failure(line: &str) -> &str {
    match line.split_once(": ") {
        Some((class, _)) if !class.contains(' ') && class.contains('.') => {
            let package = class.rsplit_once('.').map_or(0, |(p, _)| p.len() + 1);
            &line[package..]
        }
        _ => line,
    }
}

/// A trace's text for the screen: tabs as spaces, every line escaped.
fn trace_lines(trace: &str, indent: &str) -> Vec<String> {
    trace
        .lines()
        .map(|l| format!("{indent}{}", escape_str(&l.replace('\t', "    "))))
        .collect()
}

/// Returns the rows the table had room for.
pub fn render(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) -> usize {
    let view = &state.connect;
    let message = if state.session.connect.is_empty() {
        Some(
            "no Kafka Connect configured: give --connect URL, KVIEW_CONNECT, or connect = [...] in the profile"
                .to_owned(),
        )
    } else if view.snapshot.is_none() {
        Some("reading the connectors…".to_owned())
    } else {
        None
    };
    if let Some(text) = message {
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: true }).block(panel(
                " Kafka Connect ",
                true,
                theme,
            )),
            area,
        );
        return area.height.saturating_sub(3) as usize;
    }
    let rows = view.rows();
    let several = view.clusters() > 1;
    let mut columns = vec![
        Col::text("NAME", 10, 0),
        Col::whole("TYPE", 3),
        Col::whole("STATE", 0),
        Col::whole("TASKS", 1),
        Col::text("TOPICS", 8, 4),
        Col::text("FAILURE", 12, 2),
    ];
    if several {
        columns.insert(0, Col::text("CONNECT", 6, 6));
    }
    let make = |i: usize| {
        let (mut cells, style) = match rows[i] {
            Row::Connector(cluster, c) => (
                vec![
                    cluster.to_owned(),
                    escape_str(&c.name),
                    c.kind.clone(),
                    escape_str(&c.state),
                    // Running of all; a failed task's line is in FAILURE and the row is red.
                    format!("{}/{}", c.running_tasks(), c.tasks.len()),
                    if c.topics.is_empty() {
                        "-".into()
                    } else {
                        escape_str(&c.topics.join(","))
                    },
                    c.first_failure()
                        .map(|f| escape_str(short_failure(&f)))
                        .unwrap_or_default(),
                ],
                // A failed task makes the whole connector a failure to look at.
                if c.failed_tasks() > 0 {
                    theme.bad
                } else {
                    state_style(&c.state, theme)
                },
            ),
            Row::Unreachable(cluster, e) => (
                vec![
                    cluster.to_owned(),
                    "-".into(),
                    "-".into(),
                    "UNKNOWN".into(),
                    "?".into(),
                    "-".into(),
                    escape_str(e),
                ],
                theme.bad,
            ),
        };
        if !several {
            cells.remove(0);
        }
        (cells, style)
    };
    let failed = rows
        .iter()
        .filter(|r| match r {
            Row::Connector(_, c) => c.state == "FAILED" || c.failed_tasks() > 0,
            Row::Unreachable(..) => false,
        })
        .count();
    let title = format!(
        " Kafka Connect ({}{}){} ",
        rows.len(),
        if failed > 0 {
            format!(", {failed} failing")
        } else {
            String::new()
        },
        if view.loading { " reading…" } else { "" }
    );
    Grid::new(&columns, panel_for(area, title, true, theme)).list(
        frame,
        area,
        theme,
        &view.list,
        rows.len(),
        make,
    )
}

/// One connector: what it is, its failure, its tasks (with their failures) and its config.
pub fn render_detail(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let view = &state.connect;
    let Some(target) = &view.opened else {
        return;
    };
    let title = format!(" connector {} ", escape_str(&target.name));
    let Some(c) = view.find(target) else {
        frame.render_widget(
            Paragraph::new(format!(
                "connector {} is not among those Kafka Connect {} lists now",
                escape_str(&target.name),
                escape_str(&target.cluster)
            ))
            .wrap(Wrap { trim: true })
            .block(panel_for(area, title, true, theme)),
            area,
        );
        return;
    };
    let mut lines: Vec<Line> = Vec::new();
    let text = |s: String| Line::raw(s);
    lines.push(Line::styled(
        format!(
            "{} · {} · {} on {}",
            c.kind,
            escape_str(&c.class),
            escape_str(&c.state),
            escape_str(&c.worker)
        ),
        state_style(&c.state, theme),
    ));
    if state.session.connect.len() > 1 {
        lines.push(text(format!(
            "Connect cluster {}",
            escape_str(&target.cluster)
        )));
    }
    lines.push(text(format!(
        "topics: {}",
        if c.topics.is_empty() {
            "-".to_owned()
        } else {
            escape_str(&c.topics.join(", "))
        }
    )));
    if let Some(trace) = &c.trace {
        lines.push(Line::styled(
            format!("failure: {}", escape_str(&first_line(trace))),
            theme.bad,
        ));
        if view.whole_trace {
            lines.extend(trace_lines(trace, "  ").into_iter().map(text));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(format!("tasks: {}", tasks(c)), theme.header));
    for t in &c.tasks {
        lines.push(Line::styled(
            format!(
                "  task {}  {}  on {}",
                t.id,
                escape_str(&t.state),
                escape_str(&t.worker)
            ),
            state_style(&t.state, theme),
        ));
        if let Some(trace) = &t.trace {
            if view.whole_trace {
                lines.extend(trace_lines(trace, "    ").into_iter().map(text));
            } else {
                lines.push(Line::styled(
                    format!("    {}", escape_str(&first_line(trace))),
                    theme.bad,
                ));
            }
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("config (secrets masked)", theme.header));
    for (k, v) in &c.config {
        let value = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        lines.push(text(format!(
            "  {} = {}",
            escape_str(k),
            escape_str(&value)
        )));
    }
    let traces = if view.whole_trace {
        "whole traces"
    } else {
        "first lines of failures (t: whole traces)"
    };
    let title = format!("{}— {traces} ", title);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((view.scroll, 0))
            .block(panel_for(area, title, true, theme)),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::short_failure;

    #[test]
    fn a_failure_is_shown_without_its_exceptions_package() {
        assert_eq!(
            short_failure("org.apache.kafka.connect.errors.ConnectException: disk full: /x"),
            "ConnectException: disk full: /x"
        );
        assert_eq!(
            short_failure("Tolerance exceeded: see log"),
            "Tolerance exceeded: see log"
        );
        assert_eq!(short_failure("no colon here"), "no colon here");
    }
}
