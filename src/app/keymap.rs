//! Keys become actions through one table per mode. The footer and the help overlay are generated
//! from the same tables, so what is shown is what works.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::Action;
use super::views::View;
use crate::demo::sensors::signal::Anomaly;

/// Which table applies, derived from the state: the view's own, unless a prompt or the help
/// overlay has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    View(View),
    /// A one-line prompt (`:` command, `/` filter, offset, file name) has the keyboard.
    Prompt,
    Help,
}

impl Mode {
    /// Modes where printable keys are typed text rather than commands.
    pub fn takes_text(self) -> bool {
        matches!(self, Mode::View(View::Produce) | Mode::Prompt)
    }

    /// Every mode, for checks over all tables.
    pub fn all() -> impl Iterator<Item = Mode> {
        View::ALL
            .into_iter()
            .map(Mode::View)
            .chain([Mode::Prompt, Mode::Help])
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
    pub label: &'static str,
    pub action: Action,
    pub help: &'static str,
    /// Shown in the footer (the rest only in the help overlay).
    pub footer: bool,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;

const fn bind(
    code: KeyCode,
    label: &'static str,
    action: Action,
    help: &'static str,
    footer: bool,
) -> Binding {
    Binding {
        code,
        modifiers: NONE,
        label,
        action,
        help,
        footer,
    }
}

const fn ctrl(
    c: char,
    label: &'static str,
    action: Action,
    help: &'static str,
    footer: bool,
) -> Binding {
    Binding {
        code: KeyCode::Char(c),
        modifiers: CTRL,
        label,
        action,
        help,
        footer,
    }
}

const fn ch(c: char, action: Action, help: &'static str, footer: bool) -> Binding {
    Binding {
        code: KeyCode::Char(c),
        modifiers: NONE,
        label: "",
        action,
        help,
        footer,
    }
}

/// Moving through a list, shared by every list view.
const NAVIGATION: &[Binding] = &[
    ch('j', Action::Down, "down", false),
    bind(KeyCode::Down, "↓", Action::Down, "down", false),
    ch('k', Action::Up, "up", false),
    bind(KeyCode::Up, "↑", Action::Up, "up", false),
    ch('g', Action::Top, "first row", false),
    bind(KeyCode::Home, "Home", Action::Top, "first row", false),
    Binding {
        code: KeyCode::Char('G'),
        modifiers: SHIFT,
        label: "G",
        action: Action::Bottom,
        help: "last row",
        footer: false,
    },
    bind(KeyCode::End, "End", Action::Bottom, "last row", false),
    bind(
        KeyCode::PageDown,
        "PgDn",
        Action::PageDown,
        "page down",
        false,
    ),
    bind(KeyCode::PageUp, "PgUp", Action::PageUp, "page up", false),
];

/// Available wherever no text is being typed.
const GLOBAL: &[Binding] = &[
    ch(
        ':',
        Action::OpenCommand,
        "command (:topics :groups :brokers :acls :connect)",
        true,
    ),
    ch('?', Action::ToggleHelp, "help", true),
    ch('L', Action::ToggleLogs, "log panel", false),
    bind(KeyCode::Esc, "Esc", Action::Back, "back", false),
    ch('q', Action::Quit, "quit", true),
];

/// The overview's jumps, each on its own so a view whose keys take a letter for something of
/// its own (topics: `r` reverses the sort) keeps the rest.
const JUMPS: [&[Binding]; 5] = [
    &[ch('t', Action::ShowTopics, "topics", false)],
    &[ch('c', Action::ShowGroups, "consumer groups", false)],
    &[ch('l', Action::ShowMl, "machine-learning demo", false)],
    &[ch('r', Action::ShowSensors, "sensor stream demo", false)],
    &[ch('p', Action::OpenProduce, "produce", false)],
];

/// Available everywhere, even while typing.
const ALWAYS: &[Binding] = &[ctrl('c', "Ctrl+C", Action::Quit, "quit", false)];

const OVERVIEW: &[Binding] = &[
    ch('t', Action::ShowTopics, "topics", true),
    ch('c', Action::ShowGroups, "consumer groups", true),
    ch('l', Action::ShowMl, "machine-learning demo", true),
    ch('r', Action::ShowSensors, "sensor stream demo", true),
    bind(KeyCode::Enter, "Enter", Action::ShowTopics, "topics", false),
    ch('p', Action::OpenProduce, "produce", true),
];

const TOPICS: &[Binding] = &[
    ch('c', Action::ShowGroups, "consumer groups", false),
    bind(KeyCode::Enter, "Enter", Action::Open, "open topic", true),
    ch('/', Action::OpenFilter, "filter by name", true),
    ch('s', Action::CycleSort, "sort by next column", true),
    ch('r', Action::ReverseSort, "reverse sort", false),
    ch('i', Action::ToggleInternal, "show internal topics", false),
    ch('m', Action::ShowMessages, "messages", true),
    ch('p', Action::OpenProduce, "produce", true),
    ch('n', Action::NewTopic, "new topic", false),
    ch(
        'D',
        Action::DeleteSelected,
        "delete topic (type its name)",
        false,
    ),
    ch('+', Action::AddPartitions, "add partitions", false),
];

const TOPIC: &[Binding] = &[
    bind(
        KeyCode::Tab,
        "Tab",
        Action::NextPane,
        "partitions / configs",
        true,
    ),
    bind(
        KeyCode::Enter,
        "Enter",
        Action::Open,
        "messages of partition",
        true,
    ),
    ch(
        'm',
        Action::ShowMessages,
        "messages of all partitions",
        true,
    ),
    ch('p', Action::OpenProduce, "produce", true),
    ch('e', Action::EditConfig, "edit the selected config", false),
    ch(
        'u',
        Action::ToggleRaw,
        "config values as stored / in units",
        false,
    ),
    ch('+', Action::AddPartitions, "add partitions", false),
    ch(
        'E',
        Action::ElectLeaders,
        "leaders back on their preferred replicas (type the name)",
        false,
    ),
    ch(
        'D',
        Action::DeleteSelected,
        "delete topic (type its name)",
        false,
    ),
];

const MESSAGES: &[Binding] = &[
    bind(KeyCode::Tab, "Tab", Action::NextPane, "list / detail", true),
    bind(
        KeyCode::Enter,
        "Enter",
        Action::NextPane,
        "list / detail",
        false,
    ),
    ch('/', Action::OpenFilter, "filter (text or /regex/)", true),
    ch(
        'o',
        Action::JumpToOffset,
        "jump to offset, -N (per partition), @time",
        true,
    ),
    ch(
        'S',
        Action::SearchTopic,
        "search the whole topic (Esc stops)",
        false,
    ),
    ch('b', Action::FromBeginning, "from beginning", false),
    ch('f', Action::Follow, "live tail", true),
    ch(
        'I',
        Action::ToggleIsolation,
        "committed records only, or every record (read uncommitted)",
        false,
    ),
    ch('y', Action::Copy, "copy value (OSC 52)", true),
    ch(
        'z',
        Action::ToggleUtc,
        "times in UTC or the local zone",
        false,
    ),
    bind(
        KeyCode::Char(' '),
        "space",
        Action::ToggleMark,
        "mark / unmark the record",
        false,
    ),
    ch(
        'V',
        Action::MarkRange,
        "mark from the last marked to here",
        false,
    ),
    ch('x', Action::ClearMarks, "clear the marks", false),
    ch(
        '>',
        Action::SendMarked,
        "send marked records (or the selected) to a topic",
        false,
    ),
    ch(
        'w',
        Action::WriteFile,
        "write marked (else shown) records to file",
        true,
    ),
    ch('p', Action::OpenProduce, "produce", false),
];

const GROUPS: &[Binding] = &[
    bind(KeyCode::Enter, "Enter", Action::Open, "open group", true),
    ch('/', Action::OpenFilter, "filter by name", true),
    ch('s', Action::CycleSort, "sort: name, lag, status", true),
    ch(
        'D',
        Action::DeleteSelected,
        "delete group (type its name)",
        false,
    ),
];

const ACLS: &[Binding] = &[ch(
    '/',
    Action::OpenFilter,
    "filter by principal, operation, resource or host",
    true,
)];

const CONNECT: &[Binding] = &[bind(
    KeyCode::Enter,
    "Enter",
    Action::Open,
    "tasks, config and failure",
    true,
)];

const CONNECTOR: &[Binding] = &[ch(
    't',
    Action::ToggleTrace,
    "whole traces / first lines",
    true,
)];

/// The actions on a connector: the table's selected one, or the one opened.
const CONNECTOR_ACTIONS: &[Binding] = &[
    ch('p', Action::ConnectorPause, "pause", true),
    ch('r', Action::ConnectorResume, "resume", true),
    ch('s', Action::ConnectorStop, "stop", false),
    ch(
        'R',
        Action::ConnectorRestart,
        "restart the connector and its tasks",
        false,
    ),
    ch(
        'D',
        Action::DeleteSelected,
        "delete connector (type its name)",
        false,
    ),
];

const CLUSTERS: &[Binding] = &[bind(
    KeyCode::Enter,
    "Enter",
    Action::Open,
    "switch to this cluster",
    true,
)];

const TRANSACTIONS: &[Binding] = &[
    bind(
        KeyCode::Tab,
        "Tab",
        Action::NextPane,
        "transactions / hanging",
        true,
    ),
    ch(
        'D',
        Action::DeleteSelected,
        "abort the hanging transaction (type its partition)",
        true,
    ),
];

const BROKERS: &[Binding] = &[
    bind(
        KeyCode::Enter,
        "Enter",
        Action::Open,
        "the broker's configs",
        true,
    ),
    bind(
        KeyCode::Tab,
        "Tab",
        Action::NextPane,
        "brokers / configs",
        true,
    ),
    ch(
        'e',
        Action::EditConfig,
        "edit the selected config (dynamic ones)",
        false,
    ),
    ch(
        'u',
        Action::ToggleRaw,
        "config values as stored / in units",
        false,
    ),
];

const SCHEMAS: &[Binding] = &[
    bind(
        KeyCode::Enter,
        "Enter",
        Action::Open,
        "open the subject",
        true,
    ),
    ch('[', Action::PrevVersion, "the version before", true),
    ch(']', Action::NextVersion, "the version after", true),
    ch(
        'd',
        Action::ToggleDiff,
        "diff with the version before",
        true,
    ),
    bind(
        KeyCode::Tab,
        "Tab",
        Action::NextPane,
        "scroll the schema text",
        false,
    ),
];

const GROUP: &[Binding] = &[
    bind(
        KeyCode::Enter,
        "Enter",
        Action::Open,
        "read from the committed offset",
        true,
    ),
    ch(
        'r',
        Action::ResetOffsets,
        "reset offsets (preview, then confirm)",
        true,
    ),
    ch(
        'R',
        Action::ResetPartition,
        "reset the selected partition only",
        false,
    ),
    ch(
        'C',
        Action::OpenConnector,
        "the sink connector of a connect-NAME group",
        false,
    ),
];

const ML: &[Binding] = &[
    ch(
        's',
        Action::MlStart,
        "start a run (producer and trainer)",
        true,
    ),
    ch('x', Action::MlStop, "stop producer and trainer", true),
    ch('t', Action::MlTrainer, "start/stop the trainer", true),
    bind(
        KeyCode::Tab,
        "Tab",
        Action::NextPane,
        "next run/model for the confusion matrix",
        true,
    ),
];

const SENSORS: &[Binding] = &[
    ch(
        's',
        Action::SensorsStart,
        "start simulator and processor",
        true,
    ),
    ch('x', Action::SensorsStop, "stop both", true),
    ch('+', Action::RateUp, "rate ×2", true),
    ch('-', Action::RateDown, "rate ÷2", false),
    ch(
        '1',
        Action::Inject(Anomaly::Spike),
        "inject a spike into the selected sensor",
        true,
    ),
    ch(
        '2',
        Action::Inject(Anomaly::Stuck),
        "inject a stuck value",
        false,
    ),
    ch(
        '3',
        Action::Inject(Anomaly::Dropout),
        "inject a dropout",
        false,
    ),
    ch('4', Action::Inject(Anomaly::Drift), "inject a drift", false),
    ch(']', Action::OlderAlerts, "older alerts", false),
    ch('[', Action::NewerAlerts, "newer alerts", false),
];

const PRODUCE: &[Binding] = &[
    bind(KeyCode::Tab, "Tab", Action::NextPane, "next field", true),
    Binding {
        code: KeyCode::BackTab,
        modifiers: SHIFT,
        label: "S-Tab",
        action: Action::PrevPane,
        help: "previous field",
        footer: false,
    },
    ctrl('s', "Ctrl+S", Action::Submit, "send", true),
    ctrl(
        'f',
        "Ctrl+F",
        Action::FormatJson,
        "check and format JSON value",
        true,
    ),
    ctrl(
        'k',
        "Ctrl+K",
        Action::KeepFormatting,
        "send JSON as typed (default: compact)",
        false,
    ),
    bind(
        KeyCode::Enter,
        "Enter",
        Action::Newline,
        "new line (value, headers)",
        false,
    ),
    bind(KeyCode::Esc, "Esc", Action::Back, "close", true),
    bind(KeyCode::Up, "↑", Action::Up, "line up", false),
    bind(KeyCode::Down, "↓", Action::Down, "line down", false),
];

/// Editing typed text, in prompts and form fields alike.
const TEXT_EDITING: &[Binding] = &[
    bind(
        KeyCode::Backspace,
        "Bksp",
        Action::Backspace,
        "delete left",
        false,
    ),
    bind(
        KeyCode::Delete,
        "Del",
        Action::Delete,
        "delete right",
        false,
    ),
    bind(KeyCode::Left, "←", Action::Left, "cursor left", false),
    bind(KeyCode::Right, "→", Action::Right, "cursor right", false),
    bind(KeyCode::Home, "Home", Action::Home, "start of line", false),
    bind(KeyCode::End, "End", Action::End, "end of line", false),
    ctrl(
        'u',
        "Ctrl+U",
        Action::ClearToLineStart,
        "delete to the start of the line",
        false,
    ),
];

const PROMPT: &[Binding] = &[
    bind(KeyCode::Enter, "Enter", Action::Submit, "accept", true),
    bind(
        KeyCode::Esc,
        "Esc",
        Action::Back,
        "cancel (a filter is cleared)",
        true,
    ),
    bind(
        KeyCode::Tab,
        "Tab",
        Action::Complete,
        "complete a command or name",
        false,
    ),
    bind(KeyCode::Up, "↑", Action::Up, "the command before", false),
    bind(KeyCode::Down, "↓", Action::Down, "the command after", false),
];

const HELP: &[Binding] = &[
    ch('?', Action::ToggleHelp, "close help", true),
    bind(KeyCode::Esc, "Esc", Action::ToggleHelp, "close help", true),
    ch('q', Action::ToggleHelp, "close help", false),
];

/// The tables that apply in a mode, most specific first.
pub fn tables(mode: Mode) -> Vec<&'static [Binding]> {
    let own: &'static [Binding] = match mode {
        Mode::View(View::Overview) => OVERVIEW,
        Mode::View(View::Topics) => TOPICS,
        Mode::View(View::Topic) => TOPIC,
        Mode::View(View::Messages) => MESSAGES,
        Mode::View(View::Produce) => PRODUCE,
        Mode::View(View::Groups) => GROUPS,
        Mode::View(View::Group) => GROUP,
        Mode::View(View::Ml) => ML,
        Mode::View(View::Sensors) => SENSORS,
        Mode::View(View::Clusters) => CLUSTERS,
        Mode::View(View::Schemas) => SCHEMAS,
        Mode::View(View::Brokers) => BROKERS,
        Mode::View(View::Transactions) => TRANSACTIONS,
        Mode::View(View::Acls) => ACLS,
        Mode::View(View::Connect) => CONNECT,
        Mode::View(View::Connector) => CONNECTOR,
        Mode::Prompt => PROMPT,
        Mode::Help => HELP,
    };
    let mut tables = match mode {
        Mode::View(View::Produce) | Mode::Prompt => return vec![own, TEXT_EDITING, ALWAYS],
        Mode::Help => return vec![own, NAVIGATION, ALWAYS],
        Mode::View(View::Overview | View::Ml) => vec![own, GLOBAL, ALWAYS],
        Mode::View(View::Connect | View::Connector) => {
            vec![own, CONNECTOR_ACTIONS, NAVIGATION, GLOBAL, ALWAYS]
        }
        // Sensors: j/k pick a sensor; no paging keys needed but they do no harm.
        _ => vec![own, NAVIGATION, GLOBAL, ALWAYS],
    };
    for jump in JUMPS {
        let taken = tables.iter().any(|t| {
            t.iter()
                .any(|b| b.code == jump[0].code && b.modifiers == jump[0].modifiers)
        });
        if !taken {
            tables.push(jump);
        }
    }
    tables
}

/// The action a key press asks for in a mode; typed text in text modes.
pub fn action_for(mode: Mode, key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    for table in tables(mode) {
        for b in table {
            if b.code == key.code && matches_modifiers(b, key.modifiers) {
                return Some(b.action);
            }
        }
    }
    match key.code {
        KeyCode::Char(c)
            if mode.takes_text() && !key.modifiers.intersects(CTRL | KeyModifiers::ALT) =>
        {
            Some(Action::Insert(c))
        }
        _ => None,
    }
}

fn matches_modifiers(b: &Binding, pressed: KeyModifiers) -> bool {
    // Terminals differ on whether Shift accompanies an upper-case letter; the letter decides.
    let relevant = pressed & !SHIFT;
    let wanted = b.modifiers & !SHIFT;
    match b.code {
        KeyCode::Char(_) => relevant == wanted,
        _ => pressed == b.modifiers || (b.modifiers == SHIFT && relevant.is_empty()),
    }
}

/// The name of a binding's key as shown to the user.
pub fn key_label(b: &Binding) -> String {
    if !b.label.is_empty() {
        return b.label.to_owned();
    }
    match b.code {
        KeyCode::Char(c) => c.to_string(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, NONE)
    }

    #[test]
    fn keys_map_to_actions_per_mode() {
        assert_eq!(
            action_for(Mode::View(View::Topics), key(KeyCode::Char('j'))),
            Some(Action::Down)
        );
        assert_eq!(
            action_for(Mode::View(View::Topics), key(KeyCode::Char('q'))),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for(Mode::View(View::Topics), key(KeyCode::Char('/'))),
            Some(Action::OpenFilter)
        );
        assert_eq!(
            action_for(
                Mode::View(View::Topics),
                KeyEvent::new(KeyCode::Char('G'), SHIFT)
            ),
            Some(Action::Bottom)
        );
        // Typing text: q is a letter, not quit; Ctrl+C still quits.
        assert_eq!(
            action_for(Mode::View(View::Produce), key(KeyCode::Char('q'))),
            Some(Action::Insert('q'))
        );
        assert_eq!(
            action_for(Mode::Prompt, key(KeyCode::Char('j'))),
            Some(Action::Insert('j'))
        );
        assert_eq!(
            action_for(Mode::Prompt, KeyEvent::new(KeyCode::Char('c'), CTRL)),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for(
                Mode::View(View::Produce),
                KeyEvent::new(KeyCode::Char('s'), CTRL)
            ),
            Some(Action::Submit)
        );
        assert_eq!(
            action_for(Mode::View(View::Overview), key(KeyCode::Char('z'))),
            None
        );
    }

    #[test]
    fn no_key_is_bound_twice_in_one_mode() {
        for mode in Mode::all() {
            let all: Vec<&Binding> = tables(mode).into_iter().flatten().collect();
            for (i, a) in all.iter().enumerate() {
                for b in &all[i + 1..] {
                    assert!(
                        !(a.code == b.code && a.modifiers == b.modifiers),
                        "{mode:?}: {:?} bound twice",
                        a.code
                    );
                }
            }
        }
    }
}
