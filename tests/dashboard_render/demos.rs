//! The demo pipelines from the dashboard.

use crate::harness::*;

#[test]
fn read_only_mode_refuses_the_demos_and_resets() {
    let mut s = base_state();
    s.session.read_only = true;
    act(&mut s, Action::ShowMl);
    assert!(act(&mut s, Action::MlStart).is_empty());
    assert!(act(&mut s, Action::MlTrainer).is_empty());
    assert!(text(&render(&s, 80, 24)).contains("read-only mode"));
    act(&mut s, Action::Back);
    act(&mut s, Action::ShowSensors);
    assert!(act(&mut s, Action::SensorsStart).is_empty());
    assert!(
        act(
            &mut s,
            Action::Inject(kview::demo::sensors::signal::Anomaly::Spike)
        )
        .is_empty()
    );
    let mut demo = State::new("b:9092".into(), true);
    demo.start_demos_on_connect = false; // --demo is ignored with --read-only by the runtime
    assert!(
        update(
            &mut demo,
            Msg::Event(Event::Connection(ConnState::Connected))
        )
        .is_empty()
    );
}

#[test]
fn demo_mode_starts_both_pipelines_once_connected() {
    let mut s = State::new("b:9092".into(), false);
    s.start_demos_on_connect = true;
    let commands = update(&mut s, Msg::Event(Event::Connection(ConnState::Connecting)));
    assert!(commands.is_empty());
    let commands = update(&mut s, Msg::Event(Event::Connection(ConnState::Connected)));
    assert_eq!(commands.len(), 2);
    assert!(commands.contains(&Command::StartMl {
        producer: true,
        trainer: true
    }));
    // Only once: a reconnection does not start a second set.
    assert!(update(&mut s, Msg::Event(Event::Connection(ConnState::Connected))).is_empty());
}
