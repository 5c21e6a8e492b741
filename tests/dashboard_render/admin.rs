//! Changing the cluster from the dashboard: asked first, refused read-only.

use crate::harness::*;

#[test]
fn admin_changes_ask_first_and_are_refused_read_only() {
    use kview::app::event::AdminChange;
    let mut s = base_state();
    act(&mut s, Action::ShowTopics);
    // A new topic: name, partitions, replication.
    act(&mut s, Action::NewTopic);
    for c in "audit-log 6 2".chars() {
        act(&mut s, Action::Insert(c));
    }
    assert_eq!(
        act(&mut s, Action::Submit),
        vec![Command::Admin(AdminChange::CreateTopic {
            name: "audit-log".into(),
            partitions: 6,
            replication: 2
        })]
    );
    event(
        &mut s,
        Event::Admin {
            change: AdminChange::CreateTopic {
                name: "audit-log".into(),
                partitions: 6,
                replication: 2,
            },
            result: Ok(()),
            metadata: Some({
                let mut meta = cluster();
                meta.topics.push(TopicInfo {
                    name: "audit-log".into(),
                    internal: false,
                    partitions: Vec::new(),
                });
                meta
            }),
        },
    );
    let screen = text(&render(&s, 160, 48));
    assert!(screen.contains("created topic audit-log (6 partitions, replication 2)"));
    assert!(
        screen.contains("│audit-log"),
        "listed at once, not at the next poll: {screen}"
    );

    // Deleting wants the name typed; anything else keeps the topic.
    let selected = s.topics.selected().unwrap().to_owned();
    act(&mut s, Action::DeleteSelected);
    let prompt = text(&render(&s, 160, 48));
    assert!(
        prompt.contains(&format!(
            "delete topic {selected} and all its data? type its name"
        )),
        "the prompt names the topic: {prompt}"
    );
    for c in "nope".chars() {
        act(&mut s, Action::Insert(c));
    }
    assert!(act(&mut s, Action::Submit).is_empty());
    act(&mut s, Action::DeleteSelected);
    for c in selected.chars() {
        act(&mut s, Action::Insert(c));
    }
    assert_eq!(
        act(&mut s, Action::Submit),
        vec![Command::Admin(AdminChange::DeleteTopic(selected.clone()))]
    );

    // Partitions only grow.
    act(&mut s, Action::AddPartitions);
    act(&mut s, Action::Insert('1'));
    assert!(act(&mut s, Action::Submit).is_empty());
    assert!(text(&render(&s, 160, 48)).contains("must be larger"));

    // A config, from the configs tab, shown in units; `default` removes the topic's value.
    let mut t = base_state();
    act(&mut t, Action::ShowTopics);
    act(&mut t, Action::Open);
    event(
        &mut t,
        Event::Configs {
            topic: "orders".into(),
            result: Ok(vec![kview::kafka::ConfigEntry {
                name: "retention.ms".into(),
                value: Some("604800000".into()),
                is_default: false,
                is_sensitive: false,
                read_only: false,
                source: "topic",
            }]),
        },
    );
    act(&mut t, Action::NextPane);
    let screen = text(&render(&t, 160, 48));
    assert!(
        screen.contains("retention.ms") && screen.contains("7d"),
        "{screen}"
    );
    act(&mut t, Action::ToggleRaw);
    assert!(text(&render(&t, 160, 48)).contains("604800000"));
    act(&mut t, Action::EditConfig);
    assert_eq!(t.prompt.as_ref().unwrap().input.text(), "604800000");
    act(&mut t, Action::ClearToLineStart);
    for c in "default".chars() {
        act(&mut t, Action::Insert(c));
    }
    assert_eq!(
        act(&mut t, Action::Submit),
        vec![Command::Admin(AdminChange::SetConfig {
            topic: "orders".into(),
            key: "retention.ms".into(),
            value: None
        })]
    );
    let answer = Event::Admin {
        change: AdminChange::SetConfig {
            topic: "orders".into(),
            key: "retention.ms".into(),
            value: None,
        },
        result: Ok(()),
        metadata: None,
    };
    assert_eq!(
        update(&mut t, Msg::Event(answer)),
        vec![Command::LoadConfigs("orders".into())],
        "the tab is read again"
    );
    // In units, the value starts as shown and takes the units it shows.
    act(&mut t, Action::ToggleRaw);
    act(&mut t, Action::EditConfig);
    assert_eq!(t.prompt.as_ref().unwrap().input.text(), "7d");
    assert!(
        text(&render(&t, 160, 48)).contains("new value of retention.ms"),
        "the prompt names the config"
    );
    act(&mut t, Action::ClearToLineStart);
    for c in "3d".chars() {
        act(&mut t, Action::Insert(c));
    }
    assert_eq!(
        act(&mut t, Action::Submit),
        vec![Command::Admin(AdminChange::SetConfig {
            topic: "orders".into(),
            key: "retention.ms".into(),
            value: Some("259200000".into())
        })],
        "written as Kafka stores it"
    );

    // Read-only: nothing opens.
    let mut r = State::new("b:9092".into(), true);
    event(&mut r, Event::Metadata(cluster().into()));
    act(&mut r, Action::ShowTopics);
    act(&mut r, Action::NewTopic);
    assert!(r.prompt.is_none());
    assert!(text(&render(&r, 160, 48)).contains("read-only mode: changes are disabled"));
}
