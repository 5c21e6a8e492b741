//! Sparklines drawn as text, for table cells.

/// A one-line sparkline of block characters, scaled to the series' own maximum.
pub fn spark_text(values: &[u64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let values = &values[values.len().saturating_sub(width)..];
    let max = values.iter().copied().max().unwrap_or(0);
    let mut out: String = values
        .iter()
        .map(|&v| {
            if max == 0 || v == 0 {
                ' '
            } else {
                BARS[((v * 7) / max) as usize]
            }
        })
        .collect();
    let pad = width.saturating_sub(values.len());
    out.insert_str(0, &" ".repeat(pad));
    out
}

/// A one-line sparkline of lag on one scale for every row: a bar per decade (1, 10, 100, …,
/// 10 million and more), so a steady lag of 6 is a low bar and rows compare at a glance.
pub fn spark_log(values: &[u64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let values = &values[values.len().saturating_sub(width)..];
    let mut out: String = values
        .iter()
        .map(|&v| match v {
            0 => ' ',
            v => BARS[(v.ilog10() as usize).min(BARS.len() - 1)],
        })
        .collect();
    let pad = width.saturating_sub(values.len());
    out.insert_str(0, &" ".repeat(pad));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_log_puts_every_row_on_one_scale() {
        assert_eq!(
            spark_log(&[6, 6, 6], 3),
            "▁▁▁",
            "a steady 6 is a low bar, not a full one"
        );
        assert_eq!(
            spark_log(&[0, 9, 10, 999, 1_000_000, 100_000_000], 6),
            " ▁▂▃▇█"
        );
        assert_eq!(spark_log(&[5], 3), "  ▁");
    }

    #[test]
    fn spark_text_scales_to_its_maximum() {
        assert_eq!(spark_text(&[0, 1, 2, 4], 4), " ▂▄█");
        assert_eq!(spark_text(&[5, 5], 4), "  ██");
        assert_eq!(spark_text(&[], 3), "   ");
    }
}
