//! Aligned plain-text tables for the headless commands.

use std::io::Write;

/// Writes rows under a header, each column as wide as its widest cell.
pub fn write_table(
    out: &mut impl Write,
    header: &[&str],
    rows: Vec<Vec<String>>,
) -> anyhow::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(&widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            line.extend(std::iter::repeat_n(' ', w - cell.chars().count()));
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_columns() {
        let mut out = Vec::new();
        write_table(
            &mut out,
            &["A", "BB"],
            vec![
                vec!["long".into(), "1".into()],
                vec!["x".into(), "22".into()],
            ],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "A     BB\nlong  1\nx     22\n"
        );
    }
}
