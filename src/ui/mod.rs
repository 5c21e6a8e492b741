//! Rendering: a pure function of the state. Nothing here does I/O or changes the state, so every
//! screen can be drawn on ratatui's TestBackend.
//!
//! ```text
//! ┌ header: kview · cluster · brokers · connection state · READ-ONLY ┐
//! │ body: overview | topics | topic | messages | produce             │
//! │ (log panel, toggled with L)                                      │
//! └ footer: prompt, notice, or the current mode's keys               ┘
//! ```

pub mod brokers;
pub mod clusters;
pub mod group;
pub mod groups;
pub mod messages;
pub mod ml;
pub mod overview;
pub mod produce;
pub mod schemas;
pub mod sensors;
pub mod spark;
pub mod styled;
pub mod theme;
pub mod topic;
pub mod topics;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Table, TableState, Wrap};

use crate::app::event::ConnState;
use crate::app::keymap::{self, Mode};
use crate::app::list::ListSelection;
use crate::app::prompt::PromptKind;
use crate::app::state::{Notice, State};
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
    let [header, body, logs, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(log_height),
        Constraint::Length(1),
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
    };
    if state.show_logs {
        let widget = tui_logger::TuiLoggerWidget::default()
            .block(Block::bordered().title(" Log ").border_style(theme.border))
            .output_target(false)
            .output_file(false)
            .output_line(false);
        frame.render_widget(widget, logs);
    }
    render_footer(frame, footer, state, theme);
    if state.help {
        render_help(frame, body, state, theme);
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

fn render_footer(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    if let Some(prompt) = &state.prompt {
        let label = match prompt.kind {
            PromptKind::Command => ":",
            PromptKind::TopicFilter => "filter topics: ",
            PromptKind::MessageFilter => "filter (text or /regex/): ",
            PromptKind::Offset => {
                "start at (offset, -N, @unix_ms, RFC 3339 time, beginning, end): "
            }
            PromptKind::WritePath => "write shown records as JSON lines to: ",
            PromptKind::GroupFilter => "filter groups: ",
            PromptKind::ResetTarget => {
                "reset to (earliest, latest, OFFSET, ±N, @time) [TOPIC[/P]]: "
            }
            PromptKind::ResetConfirm => "type the group name to apply: ",
            PromptKind::SearchTopic => "search the whole topic for (text or /regex/): ",
            PromptKind::NewTopic => "new topic: NAME [PARTITIONS [REPLICATION]]: ",
            PromptKind::ConfirmDeleteTopic => "delete the topic and its data? type its name: ",
            PromptKind::AddPartitions => "partitions in all (more than now): ",
            PromptKind::EditConfig => "new value (`default` removes the topic's own): ",
            PromptKind::ConfirmDeleteGroup => "delete the group's offsets? type its name: ",
        };
        let text = escape_str(prompt.input.text());
        let mut spans = vec![Span::styled(label, theme.key), Span::raw(text)];
        if let Some(hint) = &prompt.hint {
            spans.push(Span::styled(format!("   {}", escape_str(hint)), theme.dim));
        }
        let line = Line::from(spans);
        frame.render_widget(Paragraph::new(line), area);
        let before = escape_str(&prompt.input.text()[..prompt.input.cursor()]);
        let column = (width(label) + width(&before)) as u16;
        let x = area.x + column.min(area.width.saturating_sub(1));
        frame.set_cursor_position((x, area.y));
        return;
    }
    if let Some(notice) = &state.notice {
        let (text, style) = match notice {
            Notice::Info(t) => (t, theme.good),
            Notice::Error(t) => (t, theme.bad),
        };
        frame.render_widget(Paragraph::new(Span::styled(escape_str(text), style)), area);
        return;
    }
    // Whole items only, as many as fit before `? help`, which always shows at the right.
    let in_help = state.mode() == Mode::Help;
    let help = if in_help { "" } else { " ? help " };
    let room = (area.width as usize).saturating_sub(width(help));
    let mut spans = Vec::new();
    let mut used = 0;
    'tables: for table in keymap::tables(state.mode()) {
        for b in table
            .iter()
            .filter(|b| b.footer && (in_help || b.action != crate::app::action::Action::ToggleHelp))
        {
            let key = format!(" {}", keymap::key_label(b));
            let text = format!(" {} ", b.help);
            let needed = width(&key) + width(&text);
            if used + needed > room {
                break 'tables;
            }
            used += needed;
            spans.push(Span::styled(key, theme.key));
            spans.push(Span::raw(text));
        }
    }
    let [keys, right] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(width(help) as u16)])
            .areas(area);
    frame.render_widget(Paragraph::new(Line::from(spans)), keys);
    if in_help {
        return;
    }
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" ?", theme.key),
            Span::raw(" help "),
        ])),
        right,
    );
}

fn render_help(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    // The keys of the view under the overlay, as if help were closed.
    let mode = Mode::View(state.view());
    let mut lines = Vec::new();
    let mut seen = Vec::new();
    for table in keymap::tables(mode) {
        for b in table {
            let label = keymap::key_label(b);
            if seen.contains(&(label.clone(), b.help)) {
                continue;
            }
            seen.push((label.clone(), b.help));
            lines.push(Line::from(vec![
                Span::styled(format!("{label:>8}  "), theme.key),
                Span::raw(b.help),
            ]));
        }
    }
    let popup = centered(area, 64, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Keys (? or Esc closes) ")
        .border_style(theme.title);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
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

/// Draws a bordered table with a header, building rows only for the part of the list that is
/// shown (`make_row(i)` makes row `i`); returns how many rows it had room for.
pub fn list_table<'a>(
    frame: &mut Frame,
    area: Rect,
    table: Table<'a>,
    list: &ListSelection,
    len: usize,
    make_row: impl FnMut(usize) -> Row<'a>,
) -> usize {
    let room = area.height.saturating_sub(3) as usize; // two borders and the header
    let shown = list.visible(len, room);
    let first = shown.start;
    let selected = (len > 0).then(|| list.selected.min(len - 1) - first);
    let mut table_state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table.rows(shown.map(make_row)), area, &mut table_state);
    room
}

/// One column of a list: its header, its width, and its rank. When a table does not fit, the
/// columns of the highest rank go first (rank 0 always stays), so headers are never cut.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    pub width: Constraint,
    pub rank: u8,
}

impl Column {
    pub const fn new(header: &'static str, width: Constraint, rank: u8) -> Self {
        Column {
            header,
            width,
            rank,
        }
    }

    /// Its width, at least one more than its header so labels never touch.
    pub fn constraint(&self) -> Constraint {
        let least = width(self.header) as u16 + 1;
        match self.width {
            Constraint::Length(n) => Constraint::Length(n.max(least)),
            Constraint::Min(n) => Constraint::Min(n.max(least)),
            other => other,
        }
    }

    /// Columns it needs at least, with the space before the next.
    fn needs(&self) -> usize {
        let own = match self.constraint() {
            Constraint::Length(n) | Constraint::Min(n) | Constraint::Max(n) => n as usize,
            _ => 0,
        };
        own + 1
    }
}

/// The columns (by index, in order) that fit a table `area_width` wide, borders included.
pub fn fit_columns(columns: &[Column], area_width: u16) -> Vec<usize> {
    let room = (area_width as usize).saturating_sub(2) + 1;
    let mut kept: Vec<usize> = (0..columns.len()).collect();
    while kept.iter().map(|i| columns[*i].needs()).sum::<usize>() > room {
        // The highest rank goes; of equal ranks, the rightmost.
        let Some(at) = kept
            .iter()
            .enumerate()
            .filter(|(_, i)| columns[**i].rank > 0)
            .max_by_key(|(at, i)| (columns[**i].rank, *at))
            .map(|(at, _)| at)
        else {
            break;
        };
        kept.remove(at);
    }
    kept
}

/// A table of the kept columns: their widths and header.
pub fn kept_table<'a>(columns: &[Column], kept: &[usize], theme: &Theme) -> Table<'a> {
    let widths: Vec<Constraint> = kept.iter().map(|i| columns[*i].constraint()).collect();
    let header: Vec<&'static str> = kept.iter().map(|i| columns[*i].header).collect();
    Table::new(Vec::<Row>::new(), widths).header(Row::new(header).style(theme.header))
}

/// A row's cells of the kept columns.
pub fn kept_cells(cells: Vec<String>, kept: &[usize]) -> Vec<String> {
    let mut cells: Vec<Option<String>> = cells.into_iter().map(Some).collect();
    kept.iter()
        .map(|i| cells.get_mut(*i).and_then(Option::take).unwrap_or_default())
        .collect()
}

/// The widths the kept columns get in a bordered table `area` wide, as the table lays them out.
/// The columns a table keeps in `area` (`fit_columns`) and their widths (`kept_widths`).
pub fn fit_table(columns: &[Column], area: Rect) -> (Vec<usize>, Vec<u16>) {
    let kept = fit_columns(columns, area.width);
    let widths = kept_widths(columns, &kept, area);
    (kept, widths)
}

pub fn kept_widths(columns: &[Column], kept: &[usize], area: Rect) -> Vec<u16> {
    let inner = Rect::new(0, 0, area.width.saturating_sub(2), 1);
    Layout::horizontal(kept.iter().map(|i| columns[*i].constraint()))
        .spacing(1)
        .split(inner)
        .iter()
        .map(|r| r.width)
        .collect()
}

/// The kept cells, each cut with `…` to its column's width rather than silently.
pub fn fitted_cells(cells: Vec<String>, kept: &[usize], widths: &[u16]) -> Vec<String> {
    kept_cells(cells, kept)
        .into_iter()
        .zip(widths)
        .map(|(cell, w)| fit(&cell, *w as usize))
        .collect()
}

/// One config of a topic or broker: `*` and the warning colour when it is not the default, the
/// value in units unless `raw`, sensitive values hidden.
pub fn config_row<'a>(c: &crate::kafka::ConfigEntry, raw: bool, theme: &Theme) -> Row<'a> {
    let value = match (&c.value, c.is_sensitive) {
        (_, true) => "(sensitive)".to_owned(),
        (Some(v), _) if raw => escape_str(v),
        (Some(v), _) => escape_str(&crate::human::config_value(&c.name, v)),
        (None, _) => "(null)".to_owned(),
    };
    let mark = if c.is_default { " " } else { "*" };
    let row = Row::new(vec![
        format!("{mark} {}", escape_str(&c.name)),
        value,
        c.source.to_owned(),
    ]);
    if c.is_default {
        row
    } else {
        row.style(theme.warn)
    }
}

/// A bordered block with a title, the focused one highlighted.
pub fn panel<'a>(title: impl Into<Line<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
    let style: Style = if focused { theme.title } else { theme.border };
    Block::bordered().title(title).border_style(style)
}

#[cfg(test)]
mod column_tests {
    use super::*;

    #[test]
    fn narrow_tables_drop_the_highest_ranks_and_keep_the_order() {
        let columns = [
            Column::new("NAME", Constraint::Min(10), 0),
            Column::new("TREND", Constraint::Length(20), 3),
            Column::new("LAG", Constraint::Length(8), 0),
            Column::new("OWNER", Constraint::Length(20), 2),
            Column::new("STATUS", Constraint::Length(7), 1),
        ];
        assert_eq!(fit_columns(&columns, 200), [0, 1, 2, 3, 4]);
        assert_eq!(fit_columns(&columns, 60), [0, 2, 3, 4]);
        assert_eq!(fit_columns(&columns, 40), [0, 2, 4]);
        assert_eq!(fit_columns(&columns, 10), [0, 2], "rank 0 always stays");
        assert_eq!(
            Column::new("STATUS", Constraint::Length(3), 0).constraint(),
            Constraint::Length(7),
            "never narrower than its header and a space"
        );
        assert_eq!(
            kept_cells(vec!["a".into(), "b".into(), "c".into()], &[0, 2]),
            ["a", "c"]
        );
    }
}
