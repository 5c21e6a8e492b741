//! `:connect`: Kafka Connect's connectors as a live table, a connector's detail, the actions
//! on it, and the topic and group views naming the connectors that use them.

use crate::harness::*;
use kview::app::views::View;
use kview::app::views::connect::{ConnectClusterRead, ConnectorRef};
use kview::connect::{ConnectAction, Connector, Task};

const TRACE: &str = "org.apache.kafka.connect.errors.ConnectException: /nonexistent/out.txt (No such file or directory)\n\tat org.apache.kafka.connect.file.FileStreamSinkTask.start(FileStreamSinkTask.java:80)\n\tat org.apache.kafka.connect.runtime.WorkerSinkTask.initializeAndStart(WorkerSinkTask.java:331)";

fn connector(name: &str, kind: &str, state: &str, task_state: &str, topics: &[&str]) -> Connector {
    let mut config = serde_json::Map::new();
    config.insert(
        "connector.class".into(),
        "org.apache.kafka.connect.file.FileStreamSinkConnector".into(),
    );
    config.insert("db.password".into(), "********".into());
    Connector {
        name: name.into(),
        kind: kind.into(),
        class: "org.apache.kafka.connect.file.FileStreamSinkConnector".into(),
        state: state.into(),
        worker: "127.0.0.1:8083".into(),
        trace: None,
        tasks: vec![Task {
            id: 0,
            state: task_state.into(),
            worker: "127.0.0.1:8083".into(),
            trace: (task_state == "FAILED").then(|| TRACE.to_owned()),
        }],
        config,
        topics: topics.iter().map(|t| t.to_string()).collect(),
    }
}

fn connectors() -> Vec<Connector> {
    vec![
        connector("orders-sink", "sink", "RUNNING", "FAILED", &["orders"]),
        connector(
            "payments-source",
            "source",
            "PAUSED",
            "PAUSED",
            &["payments"],
        ),
        connector("audit-sink", "sink", "RUNNING", "RUNNING", &[]),
    ]
}

fn connect_state(read_only: bool) -> State {
    let mut s = if read_only {
        let mut s = State::new("127.0.0.1:9092".into(), true);
        event(&mut s, Event::Connection(ConnState::Connected));
        event(&mut s, Event::Metadata(cluster().into()));
        s
    } else {
        base_state()
    };
    s.session.connect = vec!["local".into()];
    let asked = type_command(&mut s, "connect");
    assert_eq!(asked, vec![Command::LoadConnectors]);
    event(
        &mut s,
        Event::Connectors(vec![ConnectClusterRead {
            cluster: "local".into(),
            connectors: Ok(connectors()),
        }]),
    );
    s
}

fn target(name: &str) -> ConnectorRef {
    ConnectorRef {
        cluster: "local".into(),
        name: name.into(),
    }
}

#[test]
fn connectors_show_their_state_in_colour_their_tasks_and_first_failure_line() {
    let s = connect_state(false);
    let theme = Theme::ansi();
    let buffer = render_in(&s, &theme, 80, 24);
    let screen = text(&buffer);
    assert!(screen.contains("Kafka Connect (3, 1 failing)"), "{screen}");
    let failing = screen.lines().find(|l| l.contains("orders-sink")).unwrap();
    assert!(failing.contains(" 0/1 "), "{failing}");
    assert!(screen.contains("PAUSED"), "{screen}");
    assert!(
        failing.contains("ConnectException: /nonexis…"),
        "cut with its sign: {failing}"
    );
    assert!(!screen.contains("\tat"), "{screen}");
    // The failing connector's row is drawn in the theme's colour for trouble, the paused one
    // in its warning colour.
    let row_style = |name: &str| {
        let y = screen.lines().position(|l| l.contains(name)).unwrap() as u16;
        let x = screen
            .lines()
            .nth(y as usize)
            .unwrap()
            .find("RUNNING")
            .or_else(|| screen.lines().nth(y as usize).unwrap().find("PAUSED"));
        let x = screen.lines().nth(y as usize).unwrap()[..x.unwrap()]
            .chars()
            .count() as u16;
        buffer[(x, y)].fg
    };
    assert_eq!(Some(row_style("payments-source")), theme.warn.fg);
    assert_eq!(Some(row_style("orders-sink")), theme.bad.fg);
    assert_ne!(row_style("payments-source"), row_style("audit-sink"));
}

#[test]
fn no_connect_configured_is_said_and_nothing_is_asked() {
    let mut s = base_state();
    assert!(type_command(&mut s, "connect").is_empty());
    let screen = text(&render(&s, 80, 24));
    assert!(screen.contains("no Kafka Connect configured"), "{screen}");
}

#[test]
fn a_connector_opens_on_its_tasks_failures_and_masked_config_with_whole_traces_on_t() {
    let mut s = connect_state(false);
    act(&mut s, Action::Open);
    assert_eq!(s.view(), View::Connector);
    let screen = text(&render(&s, 80, 24));
    assert!(screen.contains("connector orders-sink"), "{screen}");
    assert!(
        screen.contains("task 0  FAILED  on 127.0.0.1:8083"),
        "{screen}"
    );
    assert!(
        screen.contains("ConnectException: /nonexistent/out.txt"),
        "{screen}"
    );
    assert!(!screen.contains("FileStreamSinkTask.start"), "{screen}");
    assert!(screen.contains("db.password = ********"), "{screen}");
    act(&mut s, Action::ToggleTrace);
    let screen = text(&render(&s, 100, 30));
    assert!(
        screen.contains("at org.apache.kafka.connect.file.FileStreamSinkTask.start"),
        "{screen}"
    );
    // Esc goes back to the table.
    act(&mut s, Action::Back);
    assert_eq!(s.view(), View::Connect);
}

#[test]
fn action_keys_ask_the_worker_and_say_what_it_answered() {
    let mut s = connect_state(false);
    act(&mut s, Action::Down);
    let asked = act(&mut s, Action::ConnectorPause);
    assert_eq!(
        asked,
        vec![Command::Connect {
            connector: target("payments-source"),
            action: ConnectAction::Pause,
        }]
    );
    let again = update(
        &mut s,
        Msg::Event(Event::ConnectActed {
            connector: target("payments-source"),
            action: ConnectAction::Resume,
            result: Ok(()),
        }),
    );
    assert_eq!(
        again,
        vec![Command::LoadConnectors],
        "read again to show it"
    );
    let screen = text(&render(&s, 160, 24));
    assert!(
        screen.contains("resumed connector payments-source"),
        "{screen}"
    );
    update(
        &mut s,
        Msg::Event(Event::ConnectActed {
            connector: target("payments-source"),
            action: ConnectAction::Stop,
            result: Err("Kafka Connect: Connector payments-source not found".into()),
        }),
    );
    let screen = text(&render(&s, 160, 24));
    assert!(
        screen.contains("connector payments-source not stopped: Kafka Connect: Connector payments-source not found"),
        "{screen}"
    );
    for (key, action) in [
        (Action::ConnectorResume, ConnectAction::Resume),
        (Action::ConnectorStop, ConnectAction::Stop),
        (Action::ConnectorRestart, ConnectAction::Restart),
    ] {
        assert_eq!(
            act(&mut s, key),
            vec![Command::Connect {
                connector: target("payments-source"),
                action,
            }]
        );
    }
}

#[test]
fn a_connector_is_deleted_only_once_its_name_is_typed() {
    let mut s = connect_state(false);
    act(&mut s, Action::DeleteSelected);
    let screen = text(&render(&s, 100, 24));
    assert!(
        screen.contains("delete connector orders-sink, its tasks and config? type its name:"),
        "{screen}"
    );
    for c in "orders".chars() {
        act(&mut s, Action::Insert(c));
    }
    assert!(act(&mut s, Action::Submit).is_empty());
    let screen = text(&render(&s, 80, 24));
    assert!(screen.contains("connector orders-sink kept"), "{screen}");

    act(&mut s, Action::DeleteSelected);
    for c in "orders-sink".chars() {
        act(&mut s, Action::Insert(c));
    }
    assert_eq!(
        act(&mut s, Action::Submit),
        vec![Command::Connect {
            connector: target("orders-sink"),
            action: ConnectAction::Delete,
        }]
    );
}

#[test]
fn read_only_refuses_every_action() {
    let mut s = connect_state(true);
    for key in [
        Action::ConnectorPause,
        Action::ConnectorResume,
        Action::ConnectorStop,
        Action::ConnectorRestart,
        Action::DeleteSelected,
    ] {
        assert!(act(&mut s, key).is_empty(), "{key:?}");
        assert!(s.prompt.is_none());
        let screen = text(&render(&s, 80, 24));
        assert!(screen.contains("read-only mode"), "{screen}");
    }
}

#[test]
fn several_connect_clusters_are_named_and_one_that_did_not_answer_says_why() {
    let mut s = base_state();
    s.session.connect = vec!["cdc".into(), "sinks".into()];
    type_command(&mut s, "connect");
    event(
        &mut s,
        Event::Connectors(vec![
            ConnectClusterRead {
                cluster: "cdc".into(),
                connectors: Ok(connectors()),
            },
            ConnectClusterRead {
                cluster: "sinks".into(),
                connectors: Err(
                    "cannot reach Kafka Connect at http://sinks:8083: connection refused".into(),
                ),
            },
        ]),
    );
    let screen = text(&render(&s, 160, 24));
    assert!(screen.contains("CONNECT"), "{screen}");
    let sinks = screen.lines().find(|l| l.contains("sinks")).unwrap();
    assert!(
        sinks.contains("UNKNOWN") && sinks.contains("connection refused"),
        "{sinks}"
    );
}

#[test]
fn the_topic_view_names_the_connectors_that_use_it() {
    let mut s = connect_state(false);
    type_command(&mut s, "topic orders");
    let screen = text(&render(&s, 120, 24));
    assert!(
        screen.contains("connectors: orders-sink (sink, RUNNING)"),
        "{screen}"
    );
    // Read again on the poller's clock while the topic view is open.
    let asked = update(&mut s, Msg::Event(Event::StableOffsets(Vec::new())));
    assert!(asked.contains(&Command::LoadConnectors), "{asked:?}");
}

#[test]
fn a_sink_connectors_group_names_it_and_c_opens_it() {
    use kview::collect::groups::OwnedGroupSnapshot;
    use kview::kafka::CommittedOffset;
    let mut s = connect_state(false);
    let group = OwnedGroupSnapshot {
        group: "connect-orders-sink".into(),
        kind: GroupKind::Classic,
        share_starts: Vec::new(),
        description: None,
        committed: vec![CommittedOffset {
            topic: "orders".into(),
            partition: 0,
            offset: 10,
            metadata: None,
        }],
        high_watermarks: [(("orders".to_string(), 0), 40)].into(),
        exact_times: Default::default(),
        stable_offsets: Default::default(),
    };
    event(
        &mut s,
        Event::Groups {
            at_ms: 6_000,
            snapshots: vec![group],
            every_when_slower: None,
        },
    );
    type_command(&mut s, "group connect-orders-sink");
    let screen = text(&render(&s, 140, 24));
    assert!(
        screen.contains("sink connector orders-sink (RUNNING, 0/1 tasks running) — C opens it"),
        "{screen}"
    );
    act(&mut s, Action::OpenConnector);
    assert_eq!(s.view(), View::Connector);
    assert_eq!(s.connect.opened, Some(target("orders-sink")));
}
