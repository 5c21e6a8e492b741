//! Colours: the 16 ANSI colours only (they read on any terminal and inside tmux or screen), and
//! none at all under NO_COLOR, where emphasis is carried by bold and reverse video.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone)]
pub struct Theme {
    /// False under NO_COLOR: widgets that pick their own colours (chart lines) go plain.
    pub colors: bool,
    pub title: Style,
    pub border: Style,
    pub header: Style,
    pub selected: Style,
    pub dim: Style,
    pub good: Style,
    pub warn: Style,
    pub bad: Style,
    pub key: Style,
    pub sparkline: Style,
    pub json_key: Style,
    pub json_string: Style,
    pub json_number: Style,
    pub json_literal: Style,
}

impl Theme {
    /// Colours unless the NO_COLOR convention (no-color.org) asks otherwise.
    pub fn from_env() -> Self {
        match std::env::var_os("NO_COLOR") {
            Some(v) if !v.is_empty() => Self::plain(),
            _ => Self::ansi(),
        }
    }

    pub fn ansi() -> Self {
        Theme {
            colors: true,
            title: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            border: Style::new().fg(Color::DarkGray),
            header: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            dim: Style::new().fg(Color::DarkGray),
            good: Style::new().fg(Color::Green),
            warn: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            bad: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            sparkline: Style::new().fg(Color::Green),
            json_key: Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD),
            json_string: Style::new().fg(Color::Green),
            json_number: Style::new().fg(Color::Magenta),
            json_literal: Style::new().fg(Color::Yellow),
        }
    }

    pub fn plain() -> Self {
        let bold = Style::new().add_modifier(Modifier::BOLD);
        Theme {
            colors: false,
            title: bold,
            border: Style::new(),
            header: bold,
            selected: Style::new().add_modifier(Modifier::REVERSED),
            dim: Style::new(),
            good: Style::new(),
            warn: bold,
            bad: bold.add_modifier(Modifier::UNDERLINED),
            key: bold,
            sparkline: Style::new(),
            json_key: bold,
            json_string: Style::new(),
            json_number: Style::new(),
            json_literal: Style::new(),
        }
    }
}
