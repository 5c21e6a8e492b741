//! Bytes from Kafka never reach the terminal raw; NO_COLOR means no colour.

use crate::harness::*;

#[test]
fn escape_sequences_and_invalid_utf8_never_reach_the_terminal_raw() {
    for (name, state) in states() {
        for (w, h) in [(80, 24), (160, 48)] {
            let buffer = render(&state, w, h);
            for cell in buffer.content() {
                assert!(
                    !cell.symbol().chars().any(|c| c.is_control()),
                    "{name}: control character {:?} in a cell",
                    cell.symbol()
                );
            }
        }
    }
    let mut escaped = messages_state();
    act(&mut escaped, Action::Up);
    let screen = text(&render(&escaped, 160, 48));
    assert!(
        screen.contains(r"\x1b[31mred\x1b[0m and \xff\xfe bytes"),
        "{screen}"
    );
    assert!(screen.contains(r"key: k\x1b[2J"), "{screen}");
}

#[test]
fn no_color_means_no_colour_anywhere() {
    use ratatui::style::Color;
    for (name, state) in states() {
        let buffer = render_in(&state, &Theme::plain(), 160, 48);
        for cell in buffer.content() {
            assert!(
                cell.fg == Color::Reset && cell.bg == Color::Reset,
                "{name}: a coloured cell {:?} under NO_COLOR",
                cell.symbol()
            );
        }
    }
}
