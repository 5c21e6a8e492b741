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

#[test]
fn the_sensor_view_names_every_processor_and_cuts_nothing_without_an_ellipsis() {
    let mut s = base_state();
    act(&mut s, Action::ShowSensors);
    let owners: Vec<(String, Vec<i32>)> = (0..5).map(|i| (format!("m-{i}"), vec![i])).collect();
    let owners: Vec<(&str, Vec<i32>)> = owners
        .iter()
        .map(|(m, p)| (m.as_str(), p.clone()))
        .collect();
    event(
        &mut s,
        Event::ProcessorGroup {
            at_ms: 1_764_000_000_000,
            topic: "sensors".into(),
            look: Ok((crate::states::processor_group(&owners), Default::default())),
        },
    );
    event(
        &mut s,
        Event::SensorCounts(kview::demo::sensors::Conservation {
            produced: 123_456_789,
            acknowledged: 123_456_789,
            failed: 0,
            processed: 123_456_000,
            stored: 123_454_766,
            replayed: 1_234,
            alerts: 9,
        }),
    );
    let small = text(&render(&s, 80, 24));
    // Three rows of room: two processors and a row that says how many more.
    assert!(small.contains("processor 1 "), "{small}");
    assert!(small.contains("processor 2 "), "{small}");
    assert!(small.contains("+3 more"), "{small}");
    let conservation = small.lines().find(|l| l.contains("produced")).unwrap();
    assert!(
        conservation.trim_end().ends_with("…  ✓"),
        "{conservation:?}"
    );
    let large = text(&render(&s, 160, 48));
    for n in 1..=5 {
        assert!(large.contains(&format!("processor {n} ")), "{large}");
    }
    assert!(!large.contains("more"), "{large}");
}
