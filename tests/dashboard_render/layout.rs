//! Every view at every size: snapshots, sizes down to 1×1, whole headers, nothing cut without `…`.

use crate::harness::*;

#[test]
fn every_view_matches_its_snapshot_at_80x24_and_160x48() {
    for (name, state) in states() {
        for (w, h) in [(80, 24), (160, 48)] {
            // The pictures stay where they were made before the tests were split by view.
            insta::with_settings!({
                snapshot_path => "../snapshots",
                prepend_module_to_snapshot => false,
            }, {
                insta::assert_snapshot!(
                    format!("dashboard_render__{name}_{w}x{h}"),
                    text(&render(&state, w, h))
                );
            });
        }
    }
}

#[test]
fn any_size_from_1x1_renders_without_panic() {
    let states = states();
    for (_, state) in &states {
        for w in (1..=100).step_by(7) {
            for h in (1..=40).step_by(3) {
                render(state, w, h);
            }
        }
    }
    let small = text(&render(&states[0].1, 40, 10));
    assert!(small.contains("terminal too small"), "{small}");
}

#[test]
fn every_view_keeps_its_state_help_and_whole_headers_at_80x24_100x30_and_60x15() {
    for (name, state) in states() {
        for (w, h) in [(80, 24), (100, 30), (60, 15)] {
            let screen = text(&render(&state, w, h));
            let lines: Vec<&str> = screen.lines().collect();
            let header = lines[0];
            assert!(
                ["● connected", "◌ connecting", "✗"]
                    .iter()
                    .any(|s| header.contains(s)),
                "{name} at {w}x{h}: the header keeps the connection state: {header:?}"
            );
            let footer = lines[lines.len() - 1];
            if state.prompt.is_none() && state.notice.is_none() && !state.help {
                assert!(
                    footer.contains("? help"),
                    "{name} at {w}x{h}: the footer keeps ? help: {footer:?}"
                );
            }
            for line in &lines {
                if let Some(labels) = header_labels(line) {
                    for label in labels {
                        assert!(
                            HEADER_LABELS.contains(&label.as_str()),
                            "{name} at {w}x{h}: a cut header {label:?} in {line:?}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn names_too_long_for_their_column_end_in_an_ellipsis() {
    let mut s = State::new("127.0.0.1:9092".into(), false);
    let mut meta = cluster();
    meta.topics[0].name = "orders-of-the-eastern-region-warehouse-replenishment-v2".into();
    event(&mut s, Event::Connection(ConnState::Connected));
    event(&mut s, Event::Metadata(meta.into()));
    act(&mut s, Action::ShowTopics);
    let screen = text(&render(&s, 60, 15));
    let line = screen
        .lines()
        .find(|l| l.contains("orders-of-the"))
        .expect("the topic is listed");
    assert!(line.contains('…'), "cut with an ellipsis: {line:?}");
}

#[test]
fn ten_thousand_topics_scroll_and_resize_storms_change_nothing_but_the_layout() {
    let mut s = State::new("127.0.0.1:9092".into(), false);
    event(&mut s, Event::Connection(ConnState::Connected));
    let mut meta = cluster();
    meta.topics = (0..10_000)
        .map(|i| TopicInfo {
            name: format!("topic-{i:05}"),
            internal: false,
            partitions: vec![partition(0, 1, &[1], &[1])],
        })
        .collect();
    event(&mut s, Event::Metadata(meta.into()));
    act(&mut s, Action::ShowTopics);
    let screen = text(&render(&s, 100, 30));
    assert!(
        screen.contains("Topics (10000)") && screen.contains("topic-00000"),
        "{screen}"
    );
    act(&mut s, Action::Bottom);
    let screen = text(&render(&s, 100, 30));
    assert!(
        screen.contains("topic-09999"),
        "the last row is reachable: {screen}"
    );
    for _ in 0..3 {
        act(&mut s, Action::PageUp);
    }
    let before = s.topics.list.selected;
    // A resize storm: the selection stays, every frame draws.
    for i in 0..500u16 {
        let (w, h) = (1 + (i * 37) % 220, 1 + (i * 13) % 70);
        update(&mut s, Msg::Resize(w, h));
        render(&s, w, h);
    }
    assert_eq!(s.topics.list.selected, before);
    assert!(text(&render(&s, 100, 30)).contains(&format!("topic-{before:05}")));
}

#[test]
fn the_header_names_the_cluster_its_protection_and_user_at_every_width() {
    use kview::app::state::SessionIdentity;
    let mut s = State::for_cluster(SessionIdentity {
        name: Some("prod".into()),
        brokers: "b1.example.com:9093".into(),
        security: "TLS · SCRAM-SHA-512 as alice".into(),
        read_only: true,
        schema_registry: None,
        masking: Default::default(),
        connect: Vec::new(),
    });
    event(&mut s, Event::Connection(ConnState::Connected));
    event(&mut s, Event::Metadata(cluster().into()));
    let wide = text(&render(&s, 160, 48));
    let header = wide.lines().next().unwrap();
    for part in [
        "prod",
        "TLS · SCRAM-SHA-512 as alice",
        "READ-ONLY",
        "● connected",
    ] {
        assert!(header.contains(part), "{part} in {header:?}");
    }
    let narrow = text(&render(&s, 80, 24));
    let header = narrow.lines().next().unwrap();
    assert!(
        header.contains("prod") && header.contains("as alice") && header.contains("connected"),
        "the connection survives 80 columns: {header:?}"
    );
    event(
        &mut s,
        Event::Connection(ConnState::Failed(
            "authentication failed for alice at b1.example.com:9093 (SCRAM-SHA-512)".into(),
        )),
    );
    let header = text(&render(&s, 160, 48))
        .lines()
        .next()
        .unwrap()
        .to_owned();
    assert!(
        header.contains("✗ authentication failed for alice"),
        "{header:?}"
    );
}
