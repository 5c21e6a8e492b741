//! A small text editor for prompts and form fields: a cursor, multi-line when asked.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
    /// Byte index into `text`, always on a char boundary.
    cursor: usize,
}

impl TextInput {
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let cursor = text.len();
        TextInput { text, cursor }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn set(&mut self, text: impl Into<String>) {
        self.text = text.into();
        self.cursor = self.text.len();
    }

    pub fn insert(&mut self, c: char) {
        self.text.insert(self.cursor, c);
        self.cursor += c.len_utf8();
    }

    pub fn backspace(&mut self) {
        if let Some(c) = self.text[..self.cursor].chars().next_back() {
            self.cursor -= c.len_utf8();
            self.text.remove(self.cursor);
        }
    }

    pub fn delete(&mut self) {
        if self.cursor < self.text.len() {
            self.text.remove(self.cursor);
        }
    }

    pub fn left(&mut self) {
        if let Some(c) = self.text[..self.cursor].chars().next_back() {
            self.cursor -= c.len_utf8();
        }
    }

    pub fn right(&mut self) {
        if let Some(c) = self.text[self.cursor..].chars().next() {
            self.cursor += c.len_utf8();
        }
    }

    fn line_start(&self) -> usize {
        self.text[..self.cursor].rfind('\n').map_or(0, |i| i + 1)
    }

    fn line_end(&self) -> usize {
        self.text[self.cursor..]
            .find('\n')
            .map_or(self.text.len(), |i| self.cursor + i)
    }

    /// Deletes from the start of the line to the cursor, as Ctrl-U does in a shell.
    pub fn clear_to_line_start(&mut self) {
        let start = self.line_start();
        self.text.replace_range(start..self.cursor, "");
        self.cursor = start;
    }

    pub fn home(&mut self) {
        self.cursor = self.line_start();
    }

    pub fn end(&mut self) {
        self.cursor = self.line_end();
    }

    /// Moves to the same column of the previous line, if there is one.
    pub fn up(&mut self) {
        let start = self.line_start();
        if start == 0 {
            return;
        }
        let column = self.text[start..self.cursor].chars().count();
        let prev_start = self.text[..start - 1].rfind('\n').map_or(0, |i| i + 1);
        self.cursor = advance(&self.text, prev_start, start - 1, column);
    }

    /// Moves to the same column of the next line, if there is one.
    pub fn down(&mut self) {
        let end = self.line_end();
        if end == self.text.len() {
            return;
        }
        let column = self.text[self.line_start()..self.cursor].chars().count();
        let next_start = end + 1;
        let next_end = self.text[next_start..]
            .find('\n')
            .map_or(self.text.len(), |i| next_start + i);
        self.cursor = advance(&self.text, next_start, next_end, column);
    }

    /// (line, column in chars) of the cursor, for placing the terminal cursor.
    pub fn cursor_position(&self) -> (usize, usize) {
        let before = &self.text[..self.cursor];
        let line = before.matches('\n').count();
        let column = before[self.line_start()..].chars().count();
        (line, column)
    }
}

/// The byte index `column` chars after `from`, but not past `limit`.
fn advance(text: &str, from: usize, limit: usize, column: usize) -> usize {
    text[from..limit]
        .char_indices()
        .nth(column)
        .map_or(limit, |(i, _)| from + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctrl_u_clears_the_line_up_to_the_cursor() {
        let mut t = TextInput::new("one\ntwo three");
        t.clear_to_line_start();
        assert_eq!(t.text(), "one\n");
        let mut t = TextInput::new("abc");
        t.left();
        t.clear_to_line_start();
        assert_eq!((t.text(), t.cursor()), ("c", 0));
    }

    #[test]
    fn edits_at_the_cursor_with_multibyte_text() {
        let mut t = TextInput::new("hé");
        t.left();
        t.insert('x');
        assert_eq!(t.text(), "hxé");
        t.right();
        t.backspace();
        assert_eq!(t.text(), "hx");
        t.home();
        t.delete();
        assert_eq!(t.text(), "x");
        t.backspace();
        assert_eq!(t.text(), "x");
    }

    #[test]
    fn moves_between_lines_keeping_the_column() {
        let mut t = TextInput::new("abcd\nef\nghij");
        assert_eq!(t.cursor_position(), (2, 4));
        t.up();
        assert_eq!(t.cursor_position(), (1, 2));
        t.up();
        assert_eq!(t.cursor_position(), (0, 2));
        t.down();
        t.down();
        assert_eq!(t.cursor_position(), (2, 2));
        t.end();
        assert_eq!(t.cursor_position(), (2, 4));
    }
}
