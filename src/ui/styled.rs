//! Styled text from the decode stage, coloured by the theme.

use ratatui::text::{Line, Span};

use super::theme::Theme;
use crate::decode::{Role, StyledLine};

/// A line of decoded text in the theme's colours.
pub fn line<'a>(styled: &'a StyledLine, theme: &Theme) -> Line<'a> {
    Line::from(
        styled
            .0
            .iter()
            .map(|(role, text)| Span::styled(text.as_str(), theme.role(*role)))
            .collect::<Vec<_>>(),
    )
}

impl Theme {
    pub fn role(&self, role: Role) -> ratatui::style::Style {
        match role {
            Role::Plain => ratatui::style::Style::default(),
            Role::Heading => self.header,
            Role::Dim => self.dim,
            Role::Warn => self.warn,
            Role::JsonKey => self.json_key,
            Role::JsonString => self.json_string,
            Role::JsonNumber => self.json_number,
            Role::JsonLiteral => self.json_literal,
        }
    }
}
