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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_text_scales_to_its_maximum() {
        assert_eq!(spark_text(&[0, 1, 2, 4], 4), " ▂▄█");
        assert_eq!(spark_text(&[5, 5], 4), "  ██");
        assert_eq!(spark_text(&[], 3), "   ");
    }
}
