//! The produce form.

use crate::harness::*;

#[test]
fn the_produce_form_keeps_input_on_error_and_sends_valid_input() {
    let mut s = base_state();
    act(&mut s, Action::ShowTopics);
    act(&mut s, Action::OpenProduce);
    // Topic came from the selected row; an invalid partition is refused with the input kept.
    act(&mut s, Action::NextPane);
    act(&mut s, Action::Insert('x'));
    assert!(act(&mut s, Action::Submit).is_empty());
    assert!(matches!(&s.produce.result, Some(Err(e)) if e.contains("partition")));
    assert_eq!(s.produce.fields[1].text(), "x");
    act(&mut s, Action::Backspace);
    act(&mut s, Action::NextPane);
    act(&mut s, Action::NextPane);
    for c in "hello".chars() {
        act(&mut s, Action::Insert(c));
    }
    act(&mut s, Action::NextPane);
    for c in "a=1".chars() {
        act(&mut s, Action::Insert(c));
    }
    let commands = act(&mut s, Action::Submit);
    let [Command::Produce(request)] = commands.as_slice() else {
        panic!("expected a produce command, got {commands:?}");
    };
    assert_eq!(request.topic, "orders");
    assert_eq!(request.partition, None);
    assert_eq!(request.value, b"hello");
    assert_eq!(request.headers.len(), 1);
    assert_eq!(request.headers[0].name, "a");
    assert_eq!(request.headers[0].value.as_deref(), Some(&b"1"[..]));
    assert!(s.produce.sending);
    event(&mut s, Event::Produced(Err("MESSAGE_TOO_LARGE".into())));
    assert_eq!(
        s.produce.fields[3].text(),
        "hello",
        "input kept after an error"
    );
}

#[test]
fn read_only_mode_refuses_the_produce_form() {
    let mut s = State::new("b:9092".into(), true);
    event(&mut s, Event::Metadata(cluster().into()));
    act(&mut s, Action::OpenProduce);
    assert_eq!(s.view(), kview::app::views::View::Overview);
    assert!(text(&render(&s, 80, 24)).contains("read-only mode: producing is disabled"));
}
