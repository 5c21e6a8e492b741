//! Renders a terminal capture (`tmux capture-pane -p -e`: text with SGR colour escapes) as a
//! PNG, cell by cell, with DejaVu Sans Mono: how scripts/screenshots turns the real dashboard
//! into pictures for the README.
//!
//!     cargo run --release --example ansi2png -- IN.ans OUT.png [FONT_DIR]
//!
//! FONT_DIR holds DejaVuSansMono.ttf, DejaVuSansMono-Bold.ttf and DejaVuSans.ttf (the last for
//! symbols the monospaced face lacks); default /usr/share/fonts/truetype/dejavu (Debian's
//! fonts-dejavu-core).

use std::path::{Path, PathBuf};

use ab_glyph::{Font, FontVec, PxScale, ScaleFont, point};
use unicode_width::UnicodeWidthChar;

const FONT_PX: f32 = 15.0;
const BACKGROUND: [u8; 3] = [0x1d, 0x1f, 0x21];
const FOREGROUND: [u8; 3] = [0xd0, 0xd0, 0xd0];

#[derive(Debug, Clone, Copy, PartialEq)]
struct Pen {
    fg: Option<[u8; 3]>,
    bg: Option<[u8; 3]>,
    bold: bool,
    dim: bool,
    reverse: bool,
}

impl Pen {
    const PLAIN: Pen = Pen {
        fg: None,
        bg: None,
        bold: false,
        dim: false,
        reverse: false,
    };
}

#[derive(Clone, Copy)]
struct Cell {
    c: char,
    pen: Pen,
}

/// The xterm palette: 16 named colours, a 6×6×6 cube, 24 greys.
fn palette(n: u8) -> [u8; 3] {
    const NAMED: [[u8; 3]; 16] = [
        [0x1d, 0x1f, 0x21],
        [0xcc, 0x66, 0x66],
        [0x8c, 0xc8, 0x5f],
        [0xe6, 0xc5, 0x47],
        [0x5f, 0x9c, 0xe6],
        [0xb2, 0x94, 0xbb],
        [0x5e, 0xc4, 0xc4],
        [0xc5, 0xc8, 0xc6],
        [0x66, 0x69, 0x6b],
        [0xff, 0x7a, 0x7a],
        [0xb5, 0xe8, 0x7a],
        [0xff, 0xe0, 0x6b],
        [0x81, 0xb8, 0xff],
        [0xd6, 0xb4, 0xe0],
        [0x8a, 0xe8, 0xe8],
        [0xff, 0xff, 0xff],
    ];
    match n {
        0..=15 => NAMED[n as usize],
        16..=231 => {
            let i = n - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            [level(i / 36), level((i / 6) % 6), level(i % 6)]
        }
        _ => {
            let g = 8 + (n - 232) * 10;
            [g, g, g]
        }
    }
}

/// Applies one SGR sequence's parameters to the pen.
fn apply_sgr(pen: &mut Pen, params: &str) {
    let numbers: Vec<u32> = if params.is_empty() {
        vec![0]
    } else {
        params.split(';').map(|p| p.parse().unwrap_or(0)).collect()
    };
    let mut i = 0;
    while i < numbers.len() {
        let n = numbers[i];
        let extended = |i: &mut usize| -> Option<[u8; 3]> {
            match numbers.get(*i + 1) {
                Some(5) => {
                    *i += 2;
                    numbers.get(*i).map(|v| palette(*v as u8))
                }
                Some(2) => {
                    *i += 4;
                    Some([
                        *numbers.get(*i - 2)? as u8,
                        *numbers.get(*i - 1)? as u8,
                        *numbers.get(*i)? as u8,
                    ])
                }
                _ => None,
            }
        };
        match n {
            0 => *pen = Pen::PLAIN,
            1 => pen.bold = true,
            2 => pen.dim = true,
            7 => pen.reverse = true,
            22 => {
                pen.bold = false;
                pen.dim = false;
            }
            27 => pen.reverse = false,
            30..=37 => pen.fg = Some(palette((n - 30) as u8)),
            38 => pen.fg = extended(&mut i),
            39 => pen.fg = None,
            40..=47 => pen.bg = Some(palette((n - 40) as u8)),
            48 => pen.bg = extended(&mut i),
            49 => pen.bg = None,
            90..=97 => pen.fg = Some(palette((n - 90 + 8) as u8)),
            100..=107 => pen.bg = Some(palette((n - 100 + 8) as u8)),
            _ => {}
        }
        i += 1;
    }
}

/// The capture as rows of cells; wide characters take two (the second a blank).
fn parse(text: &str) -> Vec<Vec<Cell>> {
    let mut rows = Vec::new();
    let mut pen = Pen::PLAIN;
    for line in text.lines() {
        let mut row = Vec::new();
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                if chars.peek() == Some(&'[') {
                    chars.next();
                    let mut params = String::new();
                    for p in chars.by_ref() {
                        if p.is_ascii_alphabetic() {
                            if p == 'm' {
                                apply_sgr(&mut pen, &params);
                            }
                            break;
                        }
                        params.push(p);
                    }
                }
                continue;
            }
            let width = c.width().unwrap_or(0);
            if width == 0 {
                continue;
            }
            row.push(Cell { c, pen });
            if width == 2 {
                row.push(Cell { c: ' ', pen });
            }
        }
        rows.push(row);
    }
    rows
}

fn load(dir: &Path, name: &str) -> Result<FontVec, String> {
    let path = dir.join(name);
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    FontVec::try_from_vec(bytes).map_err(|e| format!("{} is not a font: {e}", path.display()))
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(input), Some(output)) = (args.first(), args.get(1)) else {
        return Err("usage: ansi2png IN.ans OUT.png [FONT_DIR]".into());
    };
    let fonts = PathBuf::from(
        args.get(2)
            .map_or("/usr/share/fonts/truetype/dejavu", String::as_str),
    );
    let regular = load(&fonts, "DejaVuSansMono.ttf")?;
    let bold = load(&fonts, "DejaVuSansMono-Bold.ttf")?;
    let symbols = load(&fonts, "DejaVuSans.ttf")?;
    let text = std::fs::read_to_string(input).map_err(|e| format!("cannot read {input}: {e}"))?;
    let rows = parse(&text);

    let scale = PxScale::from(FONT_PX);
    let scaled = regular.as_scaled(scale);
    let cell_w = scaled.h_advance(regular.glyph_id('M')).ceil() as usize;
    let ascent = scaled.ascent();
    let cell_h = (scaled.ascent() - scaled.descent()).ceil() as usize + 1;
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let (width, height) = (cols * cell_w, rows.len().max(1) * cell_h);
    let mut pixels = vec![0u8; width * height * 3];
    for px in pixels.chunks_mut(3) {
        px.copy_from_slice(&BACKGROUND);
    }

    for (y, row) in rows.iter().enumerate() {
        for (x, cell) in row.iter().enumerate() {
            let mut fg = cell.pen.fg.unwrap_or(FOREGROUND);
            let mut bg = cell.pen.bg.unwrap_or(BACKGROUND);
            if cell.pen.reverse {
                std::mem::swap(&mut fg, &mut bg);
            }
            if cell.pen.dim {
                fg = [
                    fg[0] / 2 + bg[0] / 2,
                    fg[1] / 2 + bg[1] / 2,
                    fg[2] / 2 + bg[2] / 2,
                ];
            }
            let (left, top) = (x * cell_w, y * cell_h);
            if bg != BACKGROUND {
                for py in top..top + cell_h {
                    for px in left..(left + cell_w).min(width) {
                        let i = (py * width + px) * 3;
                        pixels[i..i + 3].copy_from_slice(&bg);
                    }
                }
            }
            if cell.c == ' ' {
                continue;
            }
            let face: &FontVec = if cell.pen.bold { &bold } else { &regular };
            let (font, id) = [face, &regular, &symbols]
                .into_iter()
                .map(|f| (f, f.glyph_id(cell.c)))
                .find(|(_, id)| id.0 != 0)
                .unwrap_or((&regular, regular.glyph_id('?')));
            let glyph = id.with_scale_and_position(scale, point(left as f32, top as f32 + ascent));
            if let Some(outline) = font.outline_glyph(glyph) {
                let bounds = outline.px_bounds();
                outline.draw(|gx, gy, coverage| {
                    let px = bounds.min.x as i64 + gx as i64;
                    let py = bounds.min.y as i64 + gy as i64;
                    if px < 0 || py < 0 || px as usize >= width || py as usize >= height {
                        return;
                    }
                    let i = (py as usize * width + px as usize) * 3;
                    for k in 0..3 {
                        let under = pixels[i + k] as f32;
                        pixels[i + k] = (under + (fg[k] as f32 - under) * coverage.min(1.0)) as u8;
                    }
                });
            }
        }
    }

    let file = std::fs::File::create(output).map_err(|e| format!("cannot write {output}: {e}"))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width as u32, height as u32);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer
        .write_image_data(&pixels)
        .map_err(|e| format!("cannot write {output}: {e}"))?;
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("ansi2png: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_and_wide_characters_land_in_their_cells() {
        let rows = parse("a\x1b[1;38;5;196mB\x1b[0m語c\n\x1b[48;2;1;2;3mx");
        assert_eq!(rows[0].len(), 5, "a, B, the wide character twice, c");
        assert!(rows[0][1].pen.bold && rows[0][1].pen.fg == Some(palette(196)));
        assert_eq!(rows[0][4].pen, Pen::PLAIN);
        assert_eq!(rows[1][0].pen.bg, Some([1, 2, 3]));
        assert_eq!(palette(16), [0, 0, 0]);
        assert_eq!(palette(231), [255, 255, 255]);
    }
}
