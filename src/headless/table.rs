//! Aligned plain-text tables for the headless commands.

use std::io::Write;

use crate::decode::text::{pad, width};

/// Writes rows under a header, each column as wide as its widest cell.
pub fn write_table(
    out: &mut impl Write,
    header: &[&str],
    rows: Vec<Vec<String>>,
) -> anyhow::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(&widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(&pad(cell, *w));
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
        let mut out = Vec::new();
        write_table(
            &mut out,
            &["NAME", "N"],
            vec![vec!["日本".into(), "1".into()]],
        )
        .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "NAME  N\n日本  1\n");
    }
}
