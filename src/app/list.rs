//! A selection in a list with its scroll offset kept between frames, shared by every table:
//! moving up from the bottom of a long list moves the cursor, not the whole page.

use std::ops::Range;

use super::action::Action;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListSelection {
    pub selected: usize,
    /// The first row shown.
    pub offset: usize,
}

impl ListSelection {
    /// Moves by a navigation action in a list of `len` rows, `rows` of which are shown.
    pub fn step(&mut self, action: Action, len: usize, rows: usize) {
        let last = len.saturating_sub(1);
        let page = rows.max(1);
        self.selected = match action {
            Action::Up => self.selected.saturating_sub(1),
            Action::Down => (self.selected + 1).min(last),
            Action::Top => 0,
            Action::Bottom => last,
            Action::PageUp => self.selected.saturating_sub(page),
            Action::PageDown => (self.selected + page).min(last),
            _ => self.selected,
        };
        self.keep_visible(len, rows);
    }

    /// Selects a row (clamped to the list).
    pub fn select(&mut self, index: usize, len: usize, rows: usize) {
        self.selected = index;
        self.keep_visible(len, rows);
    }

    /// Keeps the selection inside the list and the offset such that it is shown.
    pub fn keep_visible(&mut self, len: usize, rows: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
        self.offset = self.visible(len, rows).start;
    }

    /// The rows to draw: from the kept offset, moved only as far as needed to show the
    /// selection (the drawn area may differ from the one the offset was kept for).
    pub fn visible(&self, len: usize, rows: usize) -> Range<usize> {
        let rows = rows.max(1);
        let selected = self.selected.min(len.saturating_sub(1));
        let mut start = self.offset.min(len.saturating_sub(rows));
        if selected < start {
            start = selected;
        } else if selected >= start + rows {
            start = selected + 1 - rows;
        }
        start..(start + rows).min(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_moves_only_when_the_selection_leaves_the_page() {
        let mut s = ListSelection::default();
        for _ in 0..12 {
            s.step(Action::Down, 100, 10);
        }
        assert_eq!((s.selected, s.offset), (12, 3));
        s.step(Action::Up, 100, 10);
        assert_eq!(
            (s.selected, s.offset),
            (11, 3),
            "up moves the cursor, not the page"
        );
        for _ in 0..9 {
            s.step(Action::Up, 100, 10);
        }
        assert_eq!((s.selected, s.offset), (2, 2));
        s.step(Action::Bottom, 100, 10);
        assert_eq!(s.visible(100, 10), 90..100);
        s.step(Action::PageUp, 100, 10);
        assert_eq!((s.selected, s.offset), (89, 89));
    }

    #[test]
    fn shrinking_lists_and_other_heights_keep_the_selection_shown() {
        let mut s = ListSelection {
            selected: 50,
            offset: 45,
        };
        assert_eq!(s.visible(100, 3), 48..51);
        s.keep_visible(20, 10);
        assert_eq!((s.selected, s.offset), (19, 10));
        assert_eq!(s.visible(0, 10), 0..0);
        let empty = ListSelection::default();
        assert_eq!(empty.visible(5, 10), 0..5);
    }
}
