//! Rendering: a pure function of the state. Nothing here does I/O or changes the state, so every
//! screen can be drawn on ratatui's TestBackend.
//!
//! ```text
//! ┌ header: kview · cluster · brokers · connection state · READ-ONLY ┐
//! │ body: overview | topics | topic | messages | produce             │
//! │ (log panel, toggled with L)                                      │
//! └ footer: prompt, notice, or the current mode's keys               ┘
//! ```

pub mod acls;
pub mod brokers;
pub mod clusters;
pub mod connect;
pub mod footer;
pub mod group;
pub mod groups;
pub mod help;
pub mod messages;
pub mod ml;
pub mod overview;
pub mod produce;
pub mod schemas;
pub mod sensors;
pub mod spark;
pub mod styled;
pub mod table;
pub mod theme;
pub mod topic;
pub mod topics;
pub mod transactions;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::app::event::ConnState;
use crate::app::state::State;
use crate::app::views::View;
use crate::decode::text::{escape_str, fit, width};
use theme::Theme;

/// Below this the dashboard shows a notice instead of squeezing panels.
pub const MIN_WIDTH: u16 = 50;
pub const MIN_HEIGHT: u16 = 12;

/// What a frame showed that the update step needs to know (to page and scroll by it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drawn {
    /// Rows the current view's main list showed.
    pub list_rows: Option<usize>,
}

pub fn render(frame: &mut Frame, state: &State, theme: &Theme) -> Drawn {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        render_too_small(frame, area);
        return Drawn::default();
    }
    let log_height = if state.show_logs {
        (area.height / 3).max(5)
    } else {
        0
    };
    let footer_height = footer::height(state, area, theme);
    let [header, body, logs, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(log_height),
        Constraint::Length(footer_height),
    ])
    .areas(area);
    render_header(frame, header, state, theme);
    let list_rows = match state.view() {
        View::Overview => {
            overview::render(frame, body, state, theme);
            None
        }
        View::Topics => Some(topics::render(frame, body, state, theme)),
        View::Topic => Some(topic::render(frame, body, state, theme)),
        View::Messages => Some(messages::render(frame, body, state, theme)),
        View::Produce => {
            produce::render(frame, body, state, theme);
            None
        }
        View::Groups => Some(groups::render(frame, body, state, theme)),
        View::Group => Some(group::render(frame, body, state, theme)),
        View::Ml => {
            ml::render(frame, body, state, theme);
            None
        }
        View::Sensors => {
            sensors::render(frame, body, state, theme);
            None
        }
        View::Clusters => Some(clusters::render(frame, body, state, theme)),
        View::Schemas => Some(schemas::render(frame, body, state, theme)),
        View::Brokers => Some(brokers::render(frame, body, state, theme)),
        View::Transactions => Some(transactions::render(frame, body, state, theme)),
        View::Acls => Some(acls::render(frame, body, state, theme)),
        View::Connect => Some(connect::render(frame, body, state, theme)),
        View::Connector => {
            connect::render_detail(frame, body, state, theme);
            None
        }
    };
    if state.show_logs {
        let widget = tui_logger::TuiLoggerWidget::default()
            .block(Block::bordered().title(" Log ").border_style(theme.border))
            .output_target(false)
            .output_file(false)
            .output_line(false);
        frame.render_widget(widget, logs);
    }
    footer::render(frame, footer, state, theme);
    if state.help {
        help::render(frame, body, state, theme);
    }
    Drawn { list_rows }
}

fn render_too_small(frame: &mut Frame, area: Rect) {
    let text = format!(
        "terminal too small ({}×{}): kview needs {MIN_WIDTH}×{MIN_HEIGHT}",
        area.width, area.height
    );
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

/// Pieces of the header in the order they are shown, each with a rank: when the terminal is
/// too narrow the highest ranks go first, so the link's state (rank 0) always shows.
fn render_header(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let session = &state.session;
    let mut pieces: Vec<(u8, Span)> = vec![(1, Span::styled(" kview ", theme.title))];
    if let Some(name) = &session.name {
        pieces.push((
            2,
            Span::styled(format!(" {} ", escape_str(name)), theme.key),
        ));
    }
    let security_style = if session.security == "plaintext" {
        theme.dim
    } else if session.security.contains("UNVERIFIED") {
        theme.bad
    } else {
        theme.good
    };
    pieces.push((
        3,
        Span::styled(
            format!(" {} ", escape_str(&session.security)),
            security_style,
        ),
    ));
    if session.read_only {
        pieces.push((1, Span::styled(" READ-ONLY ", theme.warn)));
    }
    let conn = match &session.conn {
        ConnState::Connecting => Span::styled(" ◌ connecting… ", theme.warn),
        ConnState::Connected => Span::styled(" ● connected ", theme.good),
        ConnState::Retrying {
            error,
            attempt,
            retry_in_secs,
        } => Span::styled(
            format!(
                " ✗ retry {attempt} in {retry_in_secs}s: {} ",
                escape_str(error)
            ),
            theme.bad,
        ),
        ConnState::Failed(error) => Span::styled(format!(" ✗ {} ", escape_str(error)), theme.bad),
    };
    pieces.push((0, conn));
    if let Some(cluster) = &session.cluster {
        if let Some(id) = &cluster.cluster_id {
            pieces.push((
                6,
                Span::styled(format!(" cluster {} ", escape_str(id)), theme.dim),
            ));
        }
        pieces.push((
            4,
            Span::raw(format!(
                " {} ",
                crate::human::plural(cluster.brokers.len() as i64, "broker")
            )),
        ));
    }
    pieces.push((
        5,
        Span::styled(format!(" {} ", escape_str(&session.brokers)), theme.dim),
    ));
    let room = area.width as usize;
    while pieces.len() > 1 && pieces.iter().map(|(_, s)| width(&s.content)).sum::<usize>() > room {
        let drop = pieces
            .iter()
            .enumerate()
            .max_by_key(|(_, (rank, _))| *rank)
            .map(|(i, _)| i)
            .expect("pieces are not empty");
        if pieces[drop].0 == 0 {
            break;
        }
        pieces.remove(drop);
    }
    // What is left too long (a long retry error) is cut with an ellipsis.
    let spans: Vec<Span> = pieces
        .into_iter()
        .map(|(_, s)| {
            let fitted = fit(&s.content, room);
            Span::styled(fitted, s.style)
        })
        .collect();
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// What a panel says while it has nothing to show yet: waiting, retrying, or — once kview has
/// stopped retrying because only new settings can help — that, and what to do.
pub fn waiting_for(state: &State, what: &str) -> String {
    match &state.session.conn {
        ConnState::Failed(error) => format!(
            "kview stopped retrying: {}. Fix the settings (password, CA, security protocol, brokers) and start kview again, or :ctx to another cluster.",
            escape_str(error)
        ),
        ConnState::Retrying {
            attempt,
            retry_in_secs,
            ..
        } => format!("waiting for {what}: connecting, retry {attempt} in {retry_in_secs}s…"),
        ConnState::Connecting | ConnState::Connected => format!("waiting for {what}…"),
    }
}

/// What a demo task is doing, as one phrase.
pub fn task_status(s: &crate::app::event::TaskStatus) -> String {
    use crate::app::event::TaskStatus;
    match s {
        TaskStatus::Idle => "idle".into(),
        TaskStatus::Running(what) => format!("running ({})", escape_str(what)),
        TaskStatus::Done(what) => format!("done: {}", escape_str(what)),
        TaskStatus::Failed(e) => format!("failed: {}", escape_str(e)),
    }
}

/// A rectangle of at most `width`×`height` in the middle of `area`, for overlays.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let (width, height) = (width.min(area.width), height.min(area.height));
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// The columns of a topic's or broker's configs.
pub fn config_columns() -> [table::Col; 3] {
    [
        table::Col::text("NAME", 24, 0),
        // Wide enough for any number (Long.MAX), which is never cut.
        table::Col::text("VALUE", 20, 0),
        table::Col::text("SOURCE", 8, 1),
    ]
}

/// One config of a topic or broker: `*` and the warning colour when it is not the default, the
/// value in units unless `raw`, sensitive values hidden.
pub fn config_cells(c: &crate::kafka::ConfigEntry, raw: bool, theme: &Theme) -> table::Cells {
    let value = match (&c.value, c.is_sensitive) {
        (_, true) => "(sensitive)".to_owned(),
        (Some(v), _) if raw => escape_str(v),
        (Some(v), _) => escape_str(&crate::human::config_value(&c.name, v)),
        (None, _) => "(null)".to_owned(),
    };
    let mark = if c.is_default { " " } else { "*" };
    let cells = vec![
        format!("{mark} {}", escape_str(&c.name)),
        value,
        c.source.to_owned(),
    ];
    let style = if c.is_default {
        Style::default()
    } else {
        theme.warn
    };
    (cells, style)
}

/// Pieces of text laid out in lines `width` wide, a line broken only between pieces (each
/// piece brings its own leading space, dropped at the start of a line); a piece wider than a
/// whole line is broken at its spaces, and a word wider than a line anywhere. Nothing is cut:
/// summaries above tables and status lines use it, so a long name or error pushes what follows
/// to the next line instead of off the screen.
pub fn flow<'a>(pieces: Vec<Span<'a>>, width: u16) -> Vec<Line<'a>> {
    let width = (width as usize).max(1);
    let mut lines: Vec<Line> = Vec::new();
    let mut line: Vec<Span> = Vec::new();
    let mut used = 0;
    let mut place = |text: String, style: Style, lines: &mut Vec<Line<'a>>| {
        let w = crate::decode::text::width(&text);
        if used > 0 && used + w > width {
            lines.push(Line::from(std::mem::take(&mut line)));
            used = 0;
        }
        let text = if used == 0 {
            text.trim_start().to_owned()
        } else {
            text
        };
        used += crate::decode::text::width(&text);
        line.push(Span::styled(text, style));
    };
    for piece in pieces {
        if crate::decode::text::width(&piece.content) <= width {
            place(piece.content.into_owned(), piece.style, &mut lines);
            continue;
        }
        for word in piece.content.split_inclusive(' ') {
            let mut rest = format!(" {}", word.trim_end());
            // A word longer than a line: a line's worth at a time.
            while crate::decode::text::width(&rest) > width {
                let cut: String = rest.chars().take(width).collect();
                rest = rest.chars().skip(cut.chars().count()).collect();
                place(cut, piece.style, &mut lines);
            }
            place(rest, piece.style, &mut lines);
        }
    }
    if !line.is_empty() {
        lines.push(Line::from(line));
    }
    lines
}

/// A panel whose title fits `area`: a title too long for its border ends in `…`.
pub fn panel_for<'a>(
    area: Rect,
    title: impl AsRef<str>,
    focused: bool,
    theme: &Theme,
) -> Block<'a> {
    let room = area.width.saturating_sub(2) as usize;
    panel(fit(title.as_ref(), room), focused, theme)
}

/// A bordered block with a title, the focused one highlighted.
pub fn panel<'a>(title: impl Into<Line<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
    let style: Style = if focused { theme.title } else { theme.border };
    Block::bordered().title(title).border_style(style)
}

#[cfg(test)]
mod flow_tests {
    use super::*;

    #[test]
    fn pieces_break_between_not_inside_and_never_run_off() {
        let pieces = || {
            vec![
                Span::raw(" a-very-long-topic-name"),
                Span::raw("  lag 20"),
                Span::raw("  state Stable"),
            ]
        };
        let text =
            |lines: Vec<Line>| -> Vec<String> { lines.iter().map(|l| l.to_string()).collect() };
        assert_eq!(
            text(flow(pieces(), 80)),
            ["a-very-long-topic-name  lag 20  state Stable"]
        );
        assert_eq!(
            text(flow(pieces(), 30)),
            ["a-very-long-topic-name  lag 20", "state Stable"]
        );
        // Too long for a line: broken, never cut.
        let narrow = text(flow(pieces(), 10));
        assert_eq!(
            narrow.concat().replace(' ', ""),
            "a-very-long-topic-namelag20stateStable"
        );
        assert!(
            narrow.iter().all(|l| crate::decode::text::width(l) <= 10),
            "{narrow:?}"
        );
        let error = vec![Span::raw(
            " · INVALID_REPLICATION_FACTOR (Unable to replicate the partition 3 time(s))",
        )];
        let lines = text(flow(error, 30));
        assert!(
            lines.iter().all(|l| crate::decode::text::width(l) <= 30),
            "{lines:?}"
        );
        assert!(lines.last().unwrap().ends_with("3 time(s))"), "{lines:?}");
    }
}
