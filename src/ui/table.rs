//! Tables that fit: one width solver for every table of the dashboard, and the drawers that
//! use it.
//!
//! Each column has a rank (0 always stays; the highest rank is left out first when a table
//! does not fit), a way to fit (text is cut with `…`, a number is never cut, a graph has the
//! width it was drawn for) and a minimum. The widths come from what the rows on screen hold:
//! every column gets what it needs, then the spare room goes to the text columns that would
//! be cut, most important first, and what is left to the first text column.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Block;

use super::theme::Theme;
use crate::app::list::ListSelection;
use crate::decode::text::{fit, width};

/// How a column's cells fit its width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Cut with `…` when narrower than the text; at least `min` wide when the text is.
    Text { min: u16 },
    /// Never cut (numbers, statuses): the column is as wide as its widest cell, or left out.
    Whole,
    /// Drawn for this width (a sparkline).
    Graph(u16),
}

#[derive(Debug, Clone, Copy)]
pub struct Col {
    pub header: &'static str,
    pub fit: Fit,
    pub rank: u8,
}

impl Col {
    pub const fn text(header: &'static str, min: u16, rank: u8) -> Col {
        Col {
            header,
            fit: Fit::Text { min },
            rank,
        }
    }

    /// A column never cut: numbers, and words such as a status.
    pub const fn whole(header: &'static str, rank: u8) -> Col {
        Col {
            header,
            fit: Fit::Whole,
            rank,
        }
    }

    pub const fn graph(header: &'static str, width: u16, rank: u8) -> Col {
        Col {
            header,
            fit: Fit::Graph(width),
            rank,
        }
    }

    /// What it takes before any spare room: never less than its header.
    fn need(&self, header: u16, natural: u16) -> u16 {
        match self.fit {
            Fit::Text { min } => min.min(natural).max(header),
            Fit::Whole => natural.max(header),
            Fit::Graph(w) => w.max(header),
        }
    }
}

/// Columns between two cells.
pub const GAP: u16 = 2;

/// The width of each column in `room` columns of text, cells [`GAP`] apart; None for a
/// column left out. `natural` is each column's widest cell, header included.
pub fn solve(cols: &[Col], headers: &[u16], natural: &[u16], room: u16) -> Vec<Option<u16>> {
    let room = room as usize;
    let need: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| c.need(headers[i], natural[i]) as usize)
        .collect();
    let mut kept: Vec<usize> = (0..cols.len()).collect();
    let total = |kept: &[usize]| {
        kept.iter().map(|&i| need[i]).sum::<usize>() + kept.len().saturating_sub(1) * GAP as usize
    };
    while total(&kept) > room {
        // The highest rank goes; of equal ranks, the rightmost.
        let Some(at) = kept
            .iter()
            .enumerate()
            .filter(|(_, i)| cols[**i].rank > 0)
            .max_by_key(|(at, i)| (cols[**i].rank, *at))
            .map(|(at, _)| at)
        else {
            break;
        };
        kept.remove(at);
    }
    let mut widths: Vec<Option<usize>> = vec![None; cols.len()];
    for &i in &kept {
        widths[i] = Some(need[i]);
    }
    let used = total(&kept);
    if used > room {
        // Only what must stay, and it does not fit: its text gives way, down to one column.
        let mut over = used - room;
        for &i in kept.iter().rev() {
            if let (Fit::Text { .. }, Some(w)) = (cols[i].fit, widths[i]) {
                let give = over.min(w.saturating_sub(1));
                widths[i] = Some(w - give);
                over -= give;
            }
        }
        return widths.into_iter().map(|w| w.map(|w| w as u16)).collect();
    }
    let mut spare = room - used;
    // Spare room to what would be cut, the most important first.
    let mut by_rank: Vec<usize> = kept
        .iter()
        .copied()
        .filter(|&i| matches!(cols[i].fit, Fit::Text { .. }))
        .collect();
    by_rank.sort_by_key(|&i| (cols[i].rank, i));
    for &i in &by_rank {
        let w = widths[i].unwrap_or(0);
        let give = spare.min((natural[i] as usize).saturating_sub(w));
        widths[i] = Some(w + give);
        spare -= give;
    }
    // What is left widens the first text column that always stays (a name), so the table
    // fills its panel; a table of numbers keeps it at its right.
    if spare > 0
        && let Some(&first) = kept
            .iter()
            .find(|&&i| matches!(cols[i].fit, Fit::Text { .. }) && cols[i].rank == 0)
    {
        widths[first] = widths[first].map(|w| w + spare);
    }
    widths.into_iter().map(|w| w.map(|w| w as u16)).collect()
}

/// A table's columns, panel and (optionally) header labels other than the columns' own (a sort
/// arrow), drawn by [`Grid::list`] or [`Grid::rows`].
pub struct Grid<'a> {
    cols: &'a [Col],
    block: Block<'a>,
    headers: Vec<String>,
    highlight: bool,
}

/// A row's cells and style.
pub type Cells = (Vec<String>, Style);

impl<'a> Grid<'a> {
    pub fn new(cols: &'a [Col], block: Block<'a>) -> Self {
        Grid {
            cols,
            block,
            headers: cols.iter().map(|c| c.header.to_owned()).collect(),
            highlight: true,
        }
    }

    /// Header labels in place of the columns' own (same order and count).
    pub fn headers(mut self, headers: Vec<String>) -> Self {
        self.headers = headers;
        self
    }

    /// Draws a scrolling list of `len` rows, building cells only for the rows on screen, with
    /// the selection highlighted; returns how many rows it had room for.
    pub fn list(
        self,
        frame: &mut Frame,
        area: Rect,
        theme: &Theme,
        list: &ListSelection,
        len: usize,
        mut make: impl FnMut(usize) -> Cells,
    ) -> usize {
        let room = area.height.saturating_sub(3) as usize; // two borders and the header
        let shown = list.visible(len, room);
        let first = shown.start;
        let rows: Vec<Cells> = shown.map(&mut make).collect();
        let selected = (len > 0).then(|| list.selected.min(len - 1) - first);
        self.draw(frame, area, theme, rows, selected);
        room
    }

    /// Draws rows that need no scrolling (a preview, a short list).
    pub fn rows(self, frame: &mut Frame, area: Rect, theme: &Theme, rows: Vec<Cells>) {
        let highlight = Grid {
            highlight: false,
            ..self
        };
        highlight.draw(frame, area, theme, rows, None);
    }

    fn draw(
        self,
        frame: &mut Frame,
        area: Rect,
        theme: &Theme,
        rows: Vec<Cells>,
        selected: Option<usize>,
    ) {
        let header_widths: Vec<u16> = self.headers.iter().map(|h| width(h) as u16).collect();
        let mut natural = header_widths.clone();
        for (cells, _) in &rows {
            for (n, cell) in natural.iter_mut().zip(cells) {
                *n = (*n).max(width(cell).min(u16::MAX as usize) as u16);
            }
        }
        let inner = area.width.saturating_sub(2);
        let widths = solve(self.cols, &header_widths, &natural, inner);
        let kept: Vec<(usize, u16)> = widths
            .iter()
            .enumerate()
            .filter_map(|(i, w)| w.map(|w| (i, w)))
            .collect();
        // Drawn straight into the buffer, as ratatui's `Table` lays out columns of fixed widths
        // (`Flex::Start`, `GAP` apart): a followed firehose redraws a full list twenty times a
        // second, and the table's cells of text of lines of spans cost more than their glyphs.
        let inner = self.block.inner(area);
        frame.render_widget(self.block, area);
        if inner.is_empty() {
            return;
        }
        let buf = frame.buffer_mut();
        let draw_row = |buf: &mut Buffer, y: u16, cells: &mut [String], style: Style| {
            let row = Rect::new(inner.x, y, inner.width, 1);
            buf.set_style(row, style);
            let mut x = inner.x;
            for &(i, w) in &kept {
                let w = w.min(inner.right().saturating_sub(x));
                if w == 0 {
                    break;
                }
                put(
                    buf,
                    x,
                    y,
                    &fit(&std::mem::take(&mut cells[i]), w as usize),
                    w,
                );
                x = x.saturating_add(w + GAP);
            }
        };
        // A selection past the rows marks the last, as a table's state would.
        let selected = selected.map(|at| at.min(rows.len().saturating_sub(1)));
        let mut headers = self.headers;
        draw_row(buf, inner.y, &mut headers, theme.header);
        for (at, (mut cells, style)) in rows.into_iter().enumerate() {
            let y = inner.y + 1 + at as u16;
            if y >= inner.bottom() {
                break;
            }
            draw_row(buf, y, &mut cells, style);
            if self.highlight && selected == Some(at) {
                buf.set_style(Rect::new(inner.x, y, inner.width, 1), theme.selected);
            }
        }
    }
}

/// Writes a fitted cell's first line at (x, y), at most `width` wide, as a table cell of text
/// would be drawn. Cells are mostly plain ASCII, often cut with `…`: those go a byte a cell,
/// without Unicode segmentation; anything else through ratatui's own `set_stringn`.
fn put(buf: &mut Buffer, x: u16, y: u16, text: &str, width: u16) {
    let text = text.lines().next().unwrap_or_default();
    let (plain, cut) = match text.strip_suffix('…') {
        Some(head) => (head, "…"),
        None => (text, ""),
    };
    if !crate::decode::text::is_plain(plain) {
        buf.set_stringn(x, y, text, width as usize, Style::default());
        return;
    }
    let start = buf.index_of(x, y);
    let width = width as usize;
    let n = plain.len().min(width);
    for (at, cell) in buf.content[start..start + n].iter_mut().enumerate() {
        cell.set_symbol(&plain[at..at + 1]);
    }
    if !cut.is_empty() && n < width {
        buf.content[start + n].set_symbol(cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_widths(cols: &[Col]) -> Vec<u16> {
        cols.iter().map(|c| width(c.header) as u16).collect()
    }

    #[test]
    fn a_list_is_drawn_cell_by_cell_with_its_header_gaps_cuts_and_selection() {
        use ratatui::Terminal;
        use ratatui::backend::TestBackend;
        use ratatui::style::Color;
        let theme = Theme::ansi();
        let cols = [Col::whole("N", 0), Col::text("NAME", 4, 0)];
        let rows = [
            ("1", "plain"),
            ("22", "日本語のトピック名"),
            ("3", "naïve"),
            ("4", "a-long-name"),
        ];
        let mut terminal = Terminal::new(TestBackend::new(16, 7)).unwrap();
        let list = ListSelection {
            selected: 1,
            offset: 0,
        };
        terminal
            .draw(|f| {
                Grid::new(&cols, Block::bordered()).list(
                    f,
                    f.area(),
                    &theme,
                    &list,
                    rows.len(),
                    |at| {
                        let style = Style::default().fg(Color::Red);
                        (vec![rows[at].0.into(), rows[at].1.into()], style)
                    },
                );
            })
            .unwrap();
        let buf = terminal.backend().buffer().clone();
        let line = |y: u16| -> String { (1..15).map(|x| buf[(x, y)].symbol()).collect() };
        assert_eq!(line(1), "N   NAME      ");
        assert_eq!(line(2), "1   plain     ");
        // Wide characters take two cells (the second blank) and are cut with `…` within the
        // column's width (10).
        assert_eq!(line(3).trim_end(), "22  日 本 語 の …");
        assert_eq!(line(4), "3   naïve     ");
        // Plain text cut goes a byte a cell, its `…` in the column's last one.
        assert_eq!(line(5), "4   a-long-na…");
        assert_eq!(buf[(14, 5)].symbol(), "…");
        assert_eq!(buf[(1, 1)].style().add_modifier, theme.header.add_modifier);
        assert_eq!(buf[(1, 2)].fg, Color::Red, "the row's own style");
        // The selected row is highlighted to the panel's edge, over its own style.
        for x in [1, 14] {
            let cell = &buf[(x, 3)];
            assert_eq!(cell.fg, theme.selected.fg.unwrap_or(Color::Red), "x {x}");
            assert_eq!(cell.bg, theme.selected.bg.unwrap_or(Color::Reset), "x {x}");
            assert!(cell.modifier.contains(theme.selected.add_modifier), "x {x}");
        }
    }

    #[test]
    fn narrow_tables_drop_the_highest_ranks_and_never_cut_a_number() {
        let cols = [
            Col::text("NAME", 10, 0),
            Col::graph("TREND", 20, 3),
            Col::whole("LAG", 0),
            Col::text("OWNER", 8, 2),
            Col::text("STATUS", 6, 1),
        ];
        let headers = header_widths(&cols);
        let natural = [40, 20, 19, 22, 10];
        let kept = |room| -> Vec<usize> {
            solve(&cols, &headers, &natural, room)
                .iter()
                .enumerate()
                .filter_map(|(i, w)| w.map(|_| i))
                .collect()
        };
        // Needs 10, 20, 19, 8, 6 and gaps of two.
        assert_eq!(kept(200), [0, 1, 2, 3, 4]);
        assert_eq!(kept(60), [0, 2, 3, 4], "the graph goes first");
        assert_eq!(kept(45), [0, 2, 4]);
        assert_eq!(kept(34), [0, 2], "rank 0 always stays");
        let at_45 = solve(&cols, &headers, &natural, 45);
        assert_eq!(at_45[2], Some(19), "the 19-digit number whole");
        assert_eq!(
            at_45.iter().flatten().sum::<u16>() + 4,
            45,
            "fills the room"
        );
    }

    #[test]
    fn spare_room_goes_to_what_would_be_cut_most_important_first() {
        let cols = [
            Col::text("TOPIC", 8, 0),
            Col::whole("P", 0),
            Col::text("OWNER", 6, 3),
            Col::text("STATUS", 6, 1),
        ];
        let headers = header_widths(&cols);
        // Needs: 8 + 2 + 6 + 6 and three gaps of two = 28; 9 to spare: TOPIC whole (4),
        // then STATUS (rank 1) whole (4), then OWNER (rank 3) what is left (1).
        let natural = [12, 2, 20, 10];
        let w = solve(&cols, &headers, &natural, 37);
        assert_eq!(w, [Some(12), Some(2), Some(7), Some(10)]);
        // Plenty of room: every column its widest cell, the rest to the first text column.
        let w = solve(&cols, &headers, &natural, 100);
        assert_eq!(w, [Some(12 + 50), Some(2), Some(20), Some(10)]);
    }

    #[test]
    fn short_cells_take_no_more_than_they_need() {
        let cols = [Col::text("NAME", 20, 0), Col::text("VALUE", 30, 0)];
        let w = solve(&cols, &header_widths(&cols), &[4, 5], 80);
        assert_eq!(w[1], Some(5));
        assert_eq!(w[0], Some(80 - 5 - GAP), "the rest to the first");
    }
}
#[cfg(test)]
mod render_tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    #[test]
    fn cells_stand_a_gap_apart_and_the_name_takes_the_rest() {
        let cols = [
            Col::whole("P", 0),
            Col::whole("OFFSET", 0),
            Col::text("VALUE", 5, 0),
        ];
        let mut term = Terminal::new(TestBackend::new(40, 5)).unwrap();
        term.draw(|f| {
            let theme = Theme::ansi();
            Grid::new(&cols, Block::bordered()).rows(
                f,
                f.area(),
                &theme,
                vec![(
                    vec!["1".into(), "23".into(), "hello".into()],
                    Style::default(),
                )],
            );
        })
        .unwrap();
        let buf = term.backend().buffer().clone();
        let line: String = (0..40).map(|x| buf[(x, 1)].symbol().to_owned()).collect();
        assert_eq!(line, format!("│{:<38}│", "P  OFFSET  VALUE"));
    }
}
