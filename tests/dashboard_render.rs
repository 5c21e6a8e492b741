//! Every dashboard view rendered on ratatui's TestBackend from states built here (through the
//! real update step), snapshotted at 80×24 and 160×48; plus tiny terminals and hostile bytes.

use bytes::Bytes;
use chrono::FixedOffset;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use kview::app::action::Action;
use kview::app::event::{BatchPermit, Command, ConnState, Event};
use kview::app::state::{Msg, State, update};
use kview::kafka::reader::Progress;
use kview::kafka::{
    BrokerInfo, ClusterMetadata, ConfigEntry, GroupKind, Header, Message, PartitionInfo,
    TimestampType, TopicInfo, Watermarks,
};
use kview::ui;
use kview::ui::theme::Theme;

fn partition(id: i32, leader: i32, replicas: &[i32], isr: &[i32]) -> PartitionInfo {
    PartitionInfo {
        id,
        leader,
        replicas: replicas.to_vec(),
        isr: isr.to_vec(),
        offline_replicas: vec![],
    }
}

fn cluster() -> ClusterMetadata {
    ClusterMetadata {
        cluster_id: Some("kview-test-cluster".into()),
        controller_id: 1,
        brokers: (1..=3)
            .map(|id| BrokerInfo {
                id,
                host: "127.0.0.1".into(),
                port: 9092 + id * 10000,
                rack: (id == 2).then(|| "rack-b".into()),
            })
            .collect(),
        topics: vec![
            TopicInfo {
                name: "orders".into(),
                internal: false,
                partitions: vec![
                    partition(0, 1, &[1, 2, 3], &[1, 2, 3]),
                    partition(1, 2, &[2, 3, 1], &[2, 1]),
                    partition(2, 3, &[3, 1, 2], &[3, 1, 2]),
                ],
            },
            TopicInfo {
                name: "payments".into(),
                internal: false,
                partitions: vec![partition(0, 2, &[2, 3, 1], &[2, 3, 1])],
            },
            TopicInfo {
                name: "__consumer_offsets".into(),
                internal: true,
                partitions: vec![partition(0, 1, &[1], &[1])],
            },
        ],
    }
}

fn marks(orders: [i64; 3], payments: i64) -> Vec<((String, i32), Watermarks)> {
    let mut v: Vec<_> = orders
        .iter()
        .enumerate()
        .map(|(i, high)| {
            (
                ("orders".to_string(), i as i32),
                Watermarks {
                    low: 0,
                    high: *high,
                },
            )
        })
        .collect();
    v.push((
        ("payments".into(), 0),
        Watermarks {
            low: 5,
            high: payments,
        },
    ));
    v.push((
        ("__consumer_offsets".into(), 0),
        Watermarks { low: 0, high: 12 },
    ));
    v
}

fn message(partition: i32, offset: i64, key: Option<&[u8]>, value: Option<&[u8]>) -> Message {
    Message {
        partition,
        offset,
        timestamp_ms: 1_764_000_000_000 + offset * 1000,
        timestamp_type: TimestampType::CreateTime,
        key: key.map(Bytes::copy_from_slice),
        value: value.map(Bytes::copy_from_slice),
        headers: vec![
            Header {
                name: "trace".into(),
                value: Some(Bytes::from_static(b"abc")),
            },
            Header {
                name: "trace".into(),
                value: None,
            },
        ],
    }
}

fn act(state: &mut State, action: Action) -> Vec<Command> {
    update(state, Msg::Action(action))
}

fn event(state: &mut State, e: Event) {
    update(state, Msg::Event(e));
}

/// A connected dashboard with two throughput samples taken.
fn base_state() -> State {
    let mut s = State::new("127.0.0.1:9092".into(), false);
    s.utc_offset = FixedOffset::east_opt(0);
    event(&mut s, Event::Connection(ConnState::Connected));
    event(&mut s, Event::Metadata(cluster()));
    for (i, (o, p)) in [
        ([100, 50, 10], 20),
        ([160, 60, 10], 25),
        ([400, 90, 12], 40),
    ]
    .into_iter()
    .enumerate()
    {
        event(
            &mut s,
            Event::Watermarks {
                at_ms: 1_000 * i as i64,
                marks: marks(o, p),
                missing: vec![],
            },
        );
    }
    s
}

fn messages_state() -> State {
    let mut s = base_state();
    act(&mut s, Action::ShowTopics);
    let browse = act(&mut s, Action::ShowMessages);
    let Some(Command::Browse(request)) = browse.first() else {
        panic!("opening messages starts a browse: {browse:?}");
    };
    let id = request.id;
    // All partitions are shown in time order: these arrive in the order they were written.
    let mut messages = vec![
        message(
            0,
            398,
            Some(b"user-1"),
            Some(br#"{"id":1,"item":"book","price":12.5,"tags":["a","b"]}"#),
        ),
        message(1, 88, None, None),
        message(
            2,
            11,
            Some(b"k\x1b[2J"),
            Some(b"\x1b[31mred\x1b[0m and \xff\xfe bytes"),
        ),
        message(
            0,
            399,
            Some(b"user-2"),
            Some(&[0u8, 1, 2, 3, 250, 251, 252, 253, 0x1b, 0x9b]),
        ),
    ];
    for (i, m) in messages.iter_mut().enumerate() {
        m.timestamp_ms = 1_764_000_000_000 + i as i64 * 61_000;
    }
    event(
        &mut s,
        Event::Messages {
            browse_id: id,
            messages,
            progress: Progress { read: 4, total: 4 },
            done: false,
            skipped: 0,
            permit: BatchPermit::default(),
        },
    );
    s
}

/// The browser on a topic written with a schema registry: one Avro record decoded once its
/// schema arrived, one whose schema id the registry does not have.
fn schema_messages_state() -> State {
    use kview::schema::{Compiled, LoadedSchema, SchemaBook, SchemaKind, avro::AvroSchema};
    let mut s = base_state();
    s.session.schemas = SchemaBook::new(true);
    s.session.schema_registry = Some("http://registry:8081".into());
    act(&mut s, Action::ShowTopics);
    let browse = act(&mut s, Action::ShowMessages);
    let Some(Command::Browse(request)) = browse.first() else {
        panic!("opening messages starts a browse: {browse:?}");
    };
    let schema = AvroSchema::parse(
        r#"{"type": "record", "name": "Order", "fields": [{"name": "item", "type": "string"}, {"name": "qty", "type": "int"}]}"#,
        &[],
    )
    .unwrap();
    let loaded = LoadedSchema {
        id: 7,
        kind: SchemaKind::Avro,
        subjects: vec![("orders-value".into(), 3)],
        compiled: Compiled::Avro(schema),
    };
    let framed = loaded
        .encode(&serde_json::json!({"item": "book", "qty": 2}), None)
        .unwrap();
    let commands = update(
        &mut s,
        Msg::Event(Event::Messages {
            browse_id: request.id,
            messages: vec![
                message(0, 500, Some(b"user-1"), Some(&framed)),
                message(0, 501, Some(b"user-2"), Some(&[0, 0, 0, 0, 9, 2, 4])),
            ],
            progress: Progress { read: 2, total: 2 },
            done: true,
            skipped: 0,
            permit: BatchPermit::default(),
        }),
    );
    assert_eq!(
        commands,
        vec![Command::LoadSchema(7), Command::LoadSchema(9)],
        "each unknown schema is asked for once"
    );
    event(
        &mut s,
        Event::Schema {
            id: 7,
            result: Ok(std::sync::Arc::new(loaded)),
        },
    );
    event(
        &mut s,
        Event::Schema {
            id: 9,
            result: Err("schema id 9 is not in the registry".into()),
        },
    );
    s
}

/// `:brokers` with sizes on disk and broker 1's configs open.
fn brokers_state() -> State {
    let mut s = base_state();
    event(
        &mut s,
        Event::ReplicaSizes(
            (1..=3)
                .map(|broker| kview::kafka::ReplicaSize {
                    broker,
                    topic: "orders".into(),
                    partition: 0,
                    bytes: 1_500_000 * broker as i64,
                })
                .collect(),
        ),
    );
    type_command(&mut s, "brokers");
    assert_eq!(
        act(&mut s, Action::Open),
        vec![Command::LoadBrokerConfigs(1)]
    );
    let entry = |name: &str, value: &str, is_default: bool| ConfigEntry {
        name: name.into(),
        value: Some(value.into()),
        is_default,
        is_sensitive: false,
        read_only: true,
        source: if is_default { "default" } else { "broker file" },
    };
    event(
        &mut s,
        Event::BrokerConfigs {
            broker: 1,
            result: Ok(vec![
                entry("log.retention.ms", "604800000", true),
                entry("log.segment.bytes", "1073741824", false),
                entry("num.partitions", "3", false),
            ]),
        },
    );
    s
}

/// `:schemas` with a subject of two versions open, showing the change between them.
fn schemas_state() -> State {
    use kview::schema::{SchemaKind, SubjectDetail, SubjectSummary, VersionText};
    let mut s = base_state();
    s.session.schema_registry = Some("http://registry:8081".into());
    assert_eq!(
        type_command(&mut s, "schemas"),
        vec![Command::LoadSubjects, Command::StopBrowse]
    );
    let summary = |name: &str, kind, versions, id| SubjectSummary {
        name: name.into(),
        kind,
        versions,
        latest: versions as i32,
        latest_id: id,
    };
    event(
        &mut s,
        Event::Subjects(Ok((
            "BACKWARD".into(),
            vec![
                summary("orders-value", SchemaKind::Avro, 2, 8),
                summary("payments-value", SchemaKind::Protobuf, 1, 4),
            ],
        ))),
    );
    assert_eq!(
        act(&mut s, Action::Open),
        vec![Command::LoadSubject("orders-value".into())]
    );
    let version = |v: i32, id: u32, text: &str| VersionText {
        version: v,
        id,
        kind: SchemaKind::Avro,
        text: text.into(),
        references: vec![],
    };
    event(
        &mut s,
        Event::Subject {
            name: "orders-value".into(),
            result: Ok(SubjectDetail {
                name: "orders-value".into(),
                compatibility: "BACKWARD".into(),
                versions: vec![
                    version(1, 7, "{\n  \"type\": \"record\",\n  \"name\": \"Order\"\n}"),
                    version(
                        2,
                        8,
                        "{\n  \"type\": \"record\",\n  \"name\": \"Order\",\n  \"doc\": \"v2\"\n}",
                    ),
                ],
            }),
        },
    );
    act(&mut s, Action::ToggleDiff);
    s
}

/// Two groups: "billing" keeps up on orders, "audit" stopped committing long ago.
fn groups_state() -> State {
    use kview::collect::groups::OwnedGroupSnapshot;
    use kview::kafka::{CommittedOffset, GroupDescription, GroupMember};
    use kview::lag::tracker::Commit;
    use std::collections::HashMap;

    let mut s = base_state();
    let commit = |group: &str, partition: i32, offset: i64, commit_ms: i64, high: i64| Commit {
        group: group.into(),
        topic: "orders".into(),
        partition,
        offset,
        commit_ms,
        high_watermark: Some(high),
    };
    let mut commits = Vec::new();
    for i in 0..6 {
        commits.push(commit("billing", 0, 300 + i * 16, i * 1000, 330 + i * 12));
        commits.push(commit("billing", 1, 50 + i * 8, i * 1000, 60 + i * 6));
    }
    commits.push(commit("audit", 0, 10, -100_000, 40));
    commits.push(commit("audit", 0, 10, -90_000, 60));
    event(&mut s, Event::Commits(commits));
    let offset = |partition: i32, offset: i64| CommittedOffset {
        topic: "orders".into(),
        partition,
        offset,
        metadata: None,
    };
    let highs = HashMap::from([
        (("orders".to_string(), 0), 400),
        (("orders".to_string(), 1), 90),
        (("orders".to_string(), 2), 12),
    ]);
    let billing = OwnedGroupSnapshot {
        group: "billing".into(),
        kind: GroupKind::Classic,
        share_starts: Vec::new(),
        description: Some(GroupDescription {
            group_id: "billing".into(),
            kind: GroupKind::Classic,
            group_epoch: None,
            assignment_epoch: None,
            note: None,
            state: "Stable".into(),
            protocol_type: "consumer".into(),
            protocol: "range".into(),
            coordinator: 1,
            members: vec![GroupMember {
                member_id: "m-1".into(),
                client_id: "billing-1".into(),
                host: "/10.0.0.7".into(),
                assignment: vec![
                    ("orders".into(), 0),
                    ("orders".into(), 1),
                    ("orders".into(), 2),
                ],
                ..GroupMember::default()
            }],
        }),
        committed: vec![offset(0, 380), offset(1, 90)],
        high_watermarks: highs.clone(),
        exact_times: HashMap::from([(("orders".to_string(), 0), 3_000)]),
    };
    let audit = OwnedGroupSnapshot {
        group: "audit".into(),
        kind: GroupKind::Classic,
        share_starts: Vec::new(),
        description: None,
        committed: vec![offset(0, 10)],
        high_watermarks: highs,
        exact_times: HashMap::new(),
    };
    event(
        &mut s,
        Event::Groups {
            at_ms: 6_000,
            snapshots: vec![billing, audit],
        },
    );
    act(&mut s, Action::ShowGroups);
    act(&mut s, Action::Down);
    s
}

fn render(state: &State, width: u16, height: u16) -> Buffer {
    render_in(state, &Theme::ansi(), width, height)
}

fn render_in(state: &State, theme: &Theme, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| {
            ui::render(f, state, theme);
        })
        .unwrap();
    terminal.backend().buffer().clone()
}

fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        for x in 0..area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn states() -> Vec<(&'static str, State)> {
    let mut v = Vec::new();
    v.push(("overview", base_state()));

    let mut topics = base_state();
    act(&mut topics, Action::ShowTopics);
    v.push(("topics", topics.clone()));
    act(&mut topics, Action::CycleSort); // partitions
    act(&mut topics, Action::CycleSort); // replication factor
    act(&mut topics, Action::CycleSort); // messages, largest first
    act(&mut topics, Action::ToggleInternal);
    v.push(("topics_sorted_internal", topics));

    let mut topic = base_state();
    act(&mut topic, Action::ShowTopics);
    let commands = act(&mut topic, Action::Open);
    assert_eq!(commands, vec![Command::LoadConfigs("orders".into())]);
    act(&mut topic, Action::Down);
    v.push(("topic_partitions", topic.clone()));
    event(
        &mut topic,
        Event::Configs {
            topic: "orders".into(),
            result: Ok(vec![
                ConfigEntry {
                    name: "cleanup.policy".into(),
                    value: Some("compact".into()),
                    is_default: false,
                    is_sensitive: false,
                    read_only: false,
                    source: "topic",
                },
                ConfigEntry {
                    name: "retention.ms".into(),
                    value: Some("604800000".into()),
                    is_default: true,
                    is_sensitive: false,
                    read_only: false,
                    source: "default",
                },
            ]),
        },
    );
    act(&mut topic, Action::NextPane);
    v.push(("topic_configs", topic));

    let messages = messages_state();
    v.push(("messages", messages.clone()));
    let mut binary = messages.clone();
    act(&mut binary, Action::Bottom);
    v.push(("messages_binary_detail", binary));
    let mut escaped = messages.clone();
    act(&mut escaped, Action::Up);
    v.push(("messages_escaped_detail", escaped));

    let mut produce = base_state();
    act(&mut produce, Action::ShowTopics);
    act(&mut produce, Action::OpenProduce);
    act(&mut produce, Action::NextPane);
    act(&mut produce, Action::NextPane);
    for c in "user-9".chars() {
        act(&mut produce, Action::Insert(c));
    }
    act(&mut produce, Action::NextPane);
    for c in "{\"id\":9".chars() {
        act(&mut produce, Action::Insert(c));
    }
    act(&mut produce, Action::FormatJson);
    v.push(("produce_invalid_json", produce));

    let mut help = base_state();
    act(&mut help, Action::ShowTopics);
    act(&mut help, Action::ToggleHelp);
    v.push(("help_topics", help));

    let groups = groups_state();
    v.push(("groups", groups.clone()));
    let mut group = groups.clone();
    act(&mut group, Action::Open);
    v.push(("group_detail", group));
    let mut group = groups.clone();
    act(&mut group, Action::Up);
    act(&mut group, Action::Open);
    act(&mut group, Action::ResetOffsets);
    for c in "-5".chars() {
        act(&mut group, Action::Insert(c));
    }
    let commands = act(&mut group, Action::Submit);
    assert!(
        matches!(commands.as_slice(), [Command::PlanReset { .. }]),
        "{commands:?}"
    );
    event(
        &mut group,
        Event::ResetPlanned {
            group: "audit".into(),
            result: Ok(vec![kview::lag::reset::ResetPlan {
                clamped_from: None,
                topic: "orders".into(),
                partition: 0,
                old_offset: Some(10),
                new_offset: 5,
                high_watermark: 400,
                new_lag: 395,
            }]),
        },
    );
    v.push(("group_reset_preview", group));

    let mut ml = base_state();
    act(&mut ml, Action::ShowMl);
    v.push(("ml_empty", ml.clone()));
    let commands = act(&mut ml, Action::MlStart);
    assert_eq!(
        commands,
        vec![Command::StartMl {
            producer: true,
            trainer: true
        }]
    );
    let metric = |run: &str, model: &str, samples: u64, accuracy: f64| {
        kview::demo::ml::records::MetricRecord {
            run: run.into(),
            model: model.into(),
            samples_seen: samples,
            epoch: 1 + (samples / 1437) as u32,
            accuracy,
            loss: 2.3 * (1.0 - accuracy),
            per_class_accuracy: vec![accuracy; 10],
            confusion: (0..10)
                .map(|t| {
                    (0..10)
                        .map(|p| if t == p { 33 } else { u32::from(t + p == 9) })
                        .collect()
                })
                .collect(),
            timestamp: 0,
        }
    };
    let mut metrics = Vec::new();
    for i in 1..=20u64 {
        let x = i as f64 / 20.0;
        metrics.push(metric(
            "run-20261125-080000.000",
            "logreg",
            i * 200,
            0.1 + 0.85 * x.sqrt(),
        ));
        metrics.push(metric(
            "run-20261125-080000.000",
            "mlp",
            i * 200,
            0.1 + 0.86 * x,
        ));
    }
    event(&mut ml, Event::Metrics(metrics));
    event(
        &mut ml,
        Event::MlTask {
            task: kview::app::event::MlTask::Producer,
            status: kview::app::event::TaskStatus::Running("run-20261125-080000.000".into()),
        },
    );
    v.push(("ml_curves", ml));

    let mut sensors = base_state();
    act(&mut sensors, Action::ShowSensors);
    v.push(("sensors_empty", sensors.clone()));
    assert_eq!(
        act(&mut sensors, Action::SensorsStart),
        vec![Command::StartSensors {
            simulator: true,
            processor: true
        }]
    );
    let mut sim: Vec<kview::demo::sensors::signal::Sensor> = (0..4)
        .map(|i| kview::demo::sensors::signal::Sensor::new(i, 11))
        .collect();
    let mut readings = Vec::new();
    for t in 0..120i64 {
        for s in sim.iter_mut() {
            if t == 100 {
                s.inject(kview::demo::sensors::signal::Anomaly::Spike);
            }
            readings.push(s.read(1_764_000_000_000 + t * 500, 0.0));
        }
    }
    let alerts = vec![kview::demo::sensors::store::Alert {
        sensor: "temp-000".into(),
        seq: 100,
        kind: "spike".into(),
        timestamp: 1_764_000_050_000,
        value: Some(27.5),
        score: 12.3,
    }];
    event(&mut sensors, Event::SensorBatch { readings, alerts });
    event(
        &mut sensors,
        Event::SensorCounts(kview::demo::sensors::Conservation {
            produced: 480,
            acknowledged: 480,
            failed: 0,
            processed: 470,
            stored: 470,
            replayed: 0,
            alerts: 1,
        }),
    );
    let commands = act(
        &mut sensors,
        Action::Inject(kview::demo::sensors::signal::Anomaly::Spike),
    );
    assert_eq!(
        commands,
        vec![Command::InjectAnomaly {
            sensor: 1, // hum-001 sorts first
            anomaly: kview::demo::sensors::signal::Anomaly::Spike
        }]
    );
    assert_eq!(
        act(&mut sensors, Action::RateUp),
        vec![Command::SetSensorRate(100.0)]
    );
    v.push(("sensors_running", sensors));

    v.push(("messages_schema_registry", schema_messages_state()));
    v.push(("schemas_diff", schemas_state()));
    v.push(("brokers_configs", brokers_state()));

    let mut retrying = State::new("127.0.0.1:9999".into(), true);
    event(
        &mut retrying,
        Event::Connection(ConnState::Retrying {
            error: "cannot reach 127.0.0.1:9999: connection refused".into(),
            attempt: 3,
            retry_in_secs: 4,
        }),
    );
    v.push(("retrying_read_only", retrying));
    v
}

#[test]
fn every_view_matches_its_snapshot_at_80x24_and_160x48() {
    for (name, state) in states() {
        for (w, h) in [(80, 24), (160, 48)] {
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), text(&render(&state, w, h)));
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
    event(&mut s, Event::Metadata(cluster()));
    act(&mut s, Action::OpenProduce);
    assert_eq!(s.view(), kview::app::views::View::Overview);
    assert!(text(&render(&s, 80, 24)).contains("read-only mode: producing is disabled"));
}

#[test]
fn group_statuses_and_the_reset_flow() {
    let mut s = groups_state();
    let billing = s.groups.report("billing").unwrap();
    assert_eq!(billing.status, kview::lag::status::GroupStatus::Ok);
    assert_eq!(billing.total_lag, Some(20));
    let audit = s.groups.report("audit").unwrap();
    assert_eq!(
        audit.partitions[0].status,
        kview::lag::status::PartitionStatus::Stop
    );
    assert_eq!(audit.status, kview::lag::status::GroupStatus::Err);

    // billing has members: no reset.
    act(&mut s, Action::Open);
    assert_eq!(s.group.name, "billing");
    act(&mut s, Action::ResetOffsets);
    assert!(s.prompt.is_none());
    assert!(text(&render(&s, 160, 48)).contains("1 active member;"));

    // audit has none: preview, then typed confirmation.
    act(&mut s, Action::Back);
    act(&mut s, Action::Up);
    act(&mut s, Action::Open);
    assert_eq!(s.group.name, "audit");
    act(&mut s, Action::ResetOffsets);
    act(&mut s, Action::Insert('x'));
    assert!(
        act(&mut s, Action::Submit).is_empty(),
        "an invalid target plans nothing"
    );
    act(&mut s, Action::ResetOffsets);
    for c in "earliest".chars() {
        act(&mut s, Action::Insert(c));
    }
    assert_eq!(
        act(&mut s, Action::Submit),
        vec![Command::PlanReset {
            group: "audit".into(),
            target: kview::lag::reset::ResetTarget::Earliest,
            only: None,
        }]
    );
    let plan = kview::lag::reset::ResetPlan {
        clamped_from: None,
        topic: "orders".into(),
        partition: 0,
        old_offset: Some(10),
        new_offset: 0,
        high_watermark: 400,
        new_lag: 400,
    };
    event(
        &mut s,
        Event::ResetPlanned {
            group: "audit".into(),
            result: Ok(vec![plan.clone()]),
        },
    );
    for c in "wrong".chars() {
        act(&mut s, Action::Insert(c));
    }
    assert!(
        act(&mut s, Action::Submit).is_empty(),
        "a wrong name applies nothing"
    );
    act(&mut s, Action::ResetOffsets);
    for c in "earliest".chars() {
        act(&mut s, Action::Insert(c));
    }
    act(&mut s, Action::Submit);
    event(
        &mut s,
        Event::ResetPlanned {
            group: "audit".into(),
            result: Ok(vec![plan.clone()]),
        },
    );
    for c in "audit".chars() {
        act(&mut s, Action::Insert(c));
    }
    assert_eq!(
        act(&mut s, Action::Submit),
        vec![Command::ApplyReset {
            group: "audit".into(),
            plans: vec![plan]
        }]
    );

    // Read-only refuses outright.
    let mut ro = groups_state();
    ro.session.read_only = true;
    act(&mut ro, Action::Up);
    act(&mut ro, Action::Open);
    act(&mut ro, Action::ResetOffsets);
    assert!(ro.prompt.is_none());
}

#[test]
fn the_browser_copies_writes_and_jumps() {
    let mut s = messages_state();
    act(&mut s, Action::Top);
    // y: the selected value, as bytes, for OSC 52.
    let commands = act(&mut s, Action::Copy);
    let [Command::Copy(bytes)] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    assert_eq!(
        bytes.as_slice(),
        br#"{"id":1,"item":"book","price":12.5,"tags":["a","b"]}"#
    );

    // w: every shown record as a JSON line, to the typed path.
    act(&mut s, Action::OpenFilter);
    for c in "book".chars() {
        act(&mut s, Action::Insert(c));
    }
    act(&mut s, Action::Submit);
    act(&mut s, Action::WriteFile);
    let commands = act(&mut s, Action::Submit);
    let [Command::WriteFile { path, lines }] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    assert_eq!(path.to_str(), Some("kview-orders.jsonl"));
    assert_eq!(lines.len(), 1, "only the filtered record");
    let line: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(
        (line["partition"].as_i64(), line["offset"].as_i64()),
        (Some(0), Some(398))
    );

    // o: an RFC 3339 time restarts the browse there; nonsense is refused.
    act(&mut s, Action::JumpToOffset);
    for c in "2025-11-24T16:00:00Z".chars() {
        act(&mut s, Action::Insert(c));
    }
    let commands = act(&mut s, Action::Submit);
    let [Command::Browse(request)] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    assert_eq!(
        request.start,
        kview::kafka::StartAt::Timestamp(1_764_000_000_000)
    );
    assert!(!request.follow, "a jump reads a range");
    act(&mut s, Action::JumpToOffset);
    act(&mut s, Action::Insert('?'));
    assert!(act(&mut s, Action::Submit).is_empty());
    assert!(text(&render(&s, 80, 24)).contains("invalid offset"));
}

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
fn commands_and_escape_navigate_the_view_stack() {
    let mut s = messages_state();
    assert_eq!(s.view(), kview::app::views::View::Messages);
    act(&mut s, Action::OpenCommand);
    for c in "topics".chars() {
        act(&mut s, Action::Insert(c));
    }
    assert_eq!(act(&mut s, Action::Submit), vec![Command::StopBrowse]);
    assert_eq!(s.view(), kview::app::views::View::Topics);
    act(&mut s, Action::OpenCommand);
    act(&mut s, Action::Insert('g'));
    act(&mut s, Action::Submit);
    assert_eq!(s.view(), kview::app::views::View::Groups);
    act(&mut s, Action::Back);
    assert_eq!(s.view(), kview::app::views::View::Overview);
    act(&mut s, Action::OpenCommand);
    act(&mut s, Action::Insert('q'));
    assert_eq!(act(&mut s, Action::Submit), vec![Command::Quit]);
}

fn type_command(s: &mut State, text: &str) -> Vec<Command> {
    act(s, Action::OpenCommand);
    for c in text.chars() {
        act(s, Action::Insert(c));
    }
    act(s, Action::Submit)
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
    });
    event(&mut s, Event::Connection(ConnState::Connected));
    event(&mut s, Event::Metadata(cluster()));
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

#[test]
fn ctx_lists_the_profiles_and_a_switch_leaves_nothing_of_the_old_cluster() {
    use kview::app::state::SessionIdentity;
    use kview::app::views::View;
    use kview::app::views::clusters::ClusterEntry;
    let mut s = base_state();
    s.clusters.entries = vec![
        ClusterEntry {
            name: "local".into(),
            brokers: "127.0.0.1:9092".into(),
            security: "plaintext".into(),
            read_only: false,
            answer: None,
        },
        ClusterEntry {
            name: "prod".into(),
            brokers: "b1:9093".into(),
            security: "TLS · SCRAM-SHA-512 as alice".into(),
            read_only: true,
            answer: None,
        },
    ];
    assert_eq!(
        type_command(&mut s, "ctx"),
        vec![Command::ProbeClusters],
        "opening :ctx asks every profile"
    );
    assert_eq!(s.view(), View::Clusters);
    event(
        &mut s,
        Event::ClusterAnswer {
            name: "prod".into(),
            answer: Err("authentication failed for alice at b1:9093 (SCRAM-SHA-512)".into()),
        },
    );
    let screen = text(&render(&s, 80, 24));
    assert!(screen.contains("Clusters (2)"), "{screen}");
    assert!(
        screen.contains("TLS · SCRAM-SHA-512 as alice") && screen.contains("read-only"),
        "whole at 80 columns: {screen}"
    );
    assert!(
        screen.contains("ANSWERS") && screen.contains("asking…"),
        "{screen}"
    );
    assert!(screen.contains("no: authentication"), "{screen}");
    act(&mut s, Action::Down);
    assert_eq!(
        act(&mut s, Action::Open),
        vec![Command::SwitchCluster("prod".into())]
    );
    assert!(
        !type_command(&mut s, "ctx nope").contains(&Command::SwitchCluster("nope".into())),
        "an unknown name is refused"
    );
    assert!(text(&render(&s, 100, 30)).contains("no cluster named nope (clusters: local, prod)"));
    assert_eq!(
        type_command(&mut s, "ctx prod"),
        vec![Command::SwitchCluster("prod".into())]
    );

    // The runtime answers with the new session: the old cluster's topics are gone.
    type_command(&mut s, "topics");
    assert!(text(&render(&s, 160, 48)).contains("orders"));
    update(
        &mut s,
        Msg::NewSession(SessionIdentity {
            name: Some("prod".into()),
            brokers: "b1:9093".into(),
            security: "TLS · SCRAM-SHA-512 as alice".into(),
            read_only: true,
            schema_registry: None,
        }),
    );
    assert_eq!(s.view(), View::Overview);
    assert!(s.read_only());
    assert_eq!(s.clusters.entries.len(), 2, "the list of clusters stays");
    let screen = text(&render(&s, 160, 48));
    assert!(!screen.contains("orders"), "{screen}");
    assert!(
        screen.contains("switched to prod") && screen.contains("◌ connecting"),
        "{screen}"
    );
}

mod random_keys {
    use super::*;
    use kview::app::views::View;
    use proptest::prelude::*;

    fn action() -> impl Strategy<Value = Action> {
        use kview::demo::sensors::signal::Anomaly;
        prop_oneof![
            Just(Action::Back),
            Just(Action::Up),
            Just(Action::Down),
            Just(Action::Top),
            Just(Action::Bottom),
            Just(Action::PageUp),
            Just(Action::PageDown),
            Just(Action::Open),
            Just(Action::NextPane),
            Just(Action::PrevPane),
            Just(Action::OpenCommand),
            Just(Action::OpenFilter),
            Just(Action::ToggleHelp),
            Just(Action::ToggleLogs),
            Just(Action::ToggleInternal),
            Just(Action::CycleSort),
            Just(Action::ReverseSort),
            Just(Action::ShowTopics),
            Just(Action::ShowGroups),
            Just(Action::ShowMessages),
            Just(Action::OpenProduce),
            Just(Action::JumpToOffset),
            Just(Action::FromBeginning),
            Just(Action::Follow),
            Just(Action::Copy),
            Just(Action::WriteFile),
            Just(Action::ResetOffsets),
            Just(Action::ShowMl),
            Just(Action::MlStart),
            Just(Action::MlStop),
            Just(Action::MlTrainer),
            Just(Action::ShowSensors),
            Just(Action::SensorsStart),
            Just(Action::SensorsStop),
            Just(Action::RateUp),
            Just(Action::RateDown),
            Just(Action::Inject(Anomaly::Spike)),
            Just(Action::Submit),
            Just(Action::FormatJson),
            any::<char>().prop_map(Action::Insert),
            Just(Action::Newline),
            Just(Action::Backspace),
            Just(Action::Delete),
            Just(Action::Left),
            Just(Action::Right),
            Just(Action::Home),
            Just(Action::End),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Random key sequences in every view, on every kind of state, at random sizes: no
        /// panic, the view stack stays whole, and no control character reaches a cell.
        #[test]
        fn the_update_loop_survives_random_keys(
            start in 0usize..3,
            actions in prop::collection::vec(action(), 1..80),
            width in 1u16..200,
            height in 1u16..60,
        ) {
            let mut s = match start {
                0 => base_state(),
                1 => messages_state(),
                _ => groups_state(),
            };
            for a in actions {
                if a == Action::Quit {
                    continue;
                }
                act(&mut s, a);
                prop_assert!(!s.views.is_empty());
                prop_assert_eq!(s.views[0], View::Overview);
            }
            let buffer = render(&s, width, height);
            for cell in buffer.content() {
                prop_assert!(!cell.symbol().chars().any(|c| c.is_control()), "{:?}", cell.symbol());
            }
        }
    }
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
    event(&mut s, Event::Metadata(meta));
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
fn topic_and_group_names_jump_straight_to_their_views() {
    use kview::app::views::View;
    let mut s = groups_state();
    let commands = type_command(&mut s, "topic orders");
    assert_eq!(s.view(), View::Topic);
    assert_eq!(s.topic.name, "orders");
    assert!(commands.contains(&Command::LoadConfigs("orders".into())));
    assert_eq!(act(&mut s, Action::Back), Vec::<Command>::new());
    assert_eq!(
        s.view(),
        View::Topics,
        "Esc goes back to the list it would come from"
    );

    type_command(&mut s, "group billing");
    assert_eq!(s.view(), View::Group);
    assert!(text(&render(&s, 160, 48)).contains("billing"));

    type_command(&mut s, "topic nope");
    assert!(text(&render(&s, 160, 48)).contains("no topic named nope"));
    type_command(&mut s, "group nope");
    assert!(text(&render(&s, 160, 48)).contains("no consumer group named nope"));
    type_command(&mut s, "frobnicate");
    let screen = text(&render(&s, 200, 48));
    assert!(
        screen.contains("unknown command :frobnicate (commands: :topics, :topic NAME"),
        "{screen}"
    );
}

#[test]
fn enter_on_a_group_partition_reads_what_the_group_reads_next() {
    let mut s = groups_state();
    type_command(&mut s, "group billing");
    let first = s.groups.report("billing").unwrap().partitions[0].clone();
    let commands = act(&mut s, Action::Open);
    let [Command::Browse(request)] = commands.as_slice() else {
        panic!("Enter on a partition starts a browse: {commands:?}");
    };
    assert_eq!(request.topic, first.topic);
    assert_eq!(request.partition, Some(first.partition));
    assert_eq!(
        request.start,
        kview::kafka::StartAt::Offset(first.committed.expect("billing committed"))
    );
    assert!(!request.follow);
    assert_eq!(s.view(), kview::app::views::View::Messages);
}

#[test]
fn z_shows_times_in_utc_or_the_local_zone_and_says_which() {
    let mut s = messages_state();
    assert!(text(&render(&s, 160, 48)).contains("TIME (UTC)"));
    act(&mut s, Action::ToggleUtc);
    assert_eq!(s.utc_offset, None, "back to the local zone");
    act(&mut s, Action::ToggleUtc);
    assert_eq!(s.utc_offset, FixedOffset::east_opt(0));
    let screen = text(&render(&s, 160, 48));
    assert!(
        screen.contains("TIME (UTC)") && screen.contains("times in UTC"),
        "{screen}"
    );
}

#[test]
fn filters_apply_as_typed_and_esc_takes_them_away() {
    let mut s = messages_state();
    act(&mut s, Action::OpenFilter);
    for c in "book".chars() {
        act(&mut s, Action::Insert(c));
    }
    assert_eq!(s.messages.visible_len(), 1, "applied while typing");
    // A regex that does not compile yet keeps the typed text and says why.
    act(&mut s, Action::ClearToLineStart);
    for c in "/(bo".chars() {
        act(&mut s, Action::Insert(c));
    }
    act(&mut s, Action::Insert('/'));
    let prompt = s.prompt.as_ref().unwrap();
    assert_eq!(prompt.input.text(), "/(bo/");
    assert!(
        prompt
            .hint
            .as_deref()
            .unwrap_or_default()
            .contains("invalid regex")
    );
    assert!(text(&render(&s, 160, 48)).contains("invalid regex"));
    act(&mut s, Action::Back);
    assert!(s.prompt.is_none());
    assert_eq!(
        s.messages.visible_len(),
        4,
        "Esc in the prompt clears the filter"
    );

    // Accepted with Enter, the filter stays; Esc in the view clears it before leaving.
    act(&mut s, Action::OpenFilter);
    for c in "user".chars() {
        act(&mut s, Action::Insert(c));
    }
    act(&mut s, Action::Submit);
    assert_eq!(s.messages.visible_len(), 2);
    act(&mut s, Action::Back);
    assert_eq!(s.view(), kview::app::views::View::Messages);
    assert_eq!(s.messages.visible_len(), 4);
    act(&mut s, Action::Back);
    assert_ne!(s.view(), kview::app::views::View::Messages);

    // Topics too.
    let mut t = base_state();
    act(&mut t, Action::ShowTopics);
    act(&mut t, Action::OpenFilter);
    act(&mut t, Action::Insert('p'));
    act(&mut t, Action::Insert('a'));
    let screen = text(&render(&t, 160, 48));
    assert!(
        screen.contains("payments") && !screen.contains("orders "),
        "{screen}"
    );
}

#[test]
fn the_command_line_remembers_and_completes() {
    let mut s = base_state();
    type_command(&mut s, "topics");
    type_command(&mut s, "topic orders");
    act(&mut s, Action::OpenCommand);
    act(&mut s, Action::Up);
    assert_eq!(s.prompt.as_ref().unwrap().input.text(), "topic orders");
    act(&mut s, Action::Up);
    assert_eq!(s.prompt.as_ref().unwrap().input.text(), "topics");
    act(&mut s, Action::Down);
    act(&mut s, Action::Down);
    assert_eq!(
        s.prompt.as_ref().unwrap().input.text(),
        "",
        "back to a new line"
    );
    act(&mut s, Action::Back);

    act(&mut s, Action::OpenCommand);
    for c in "sch".chars() {
        act(&mut s, Action::Insert(c));
    }
    act(&mut s, Action::Complete);
    assert_eq!(s.prompt.as_ref().unwrap().input.text(), "schemas");
    act(&mut s, Action::ClearToLineStart);
    for c in "topic p".chars() {
        act(&mut s, Action::Insert(c));
    }
    act(&mut s, Action::Complete);
    assert_eq!(s.prompt.as_ref().unwrap().input.text(), "topic payments");
    act(&mut s, Action::ClearToLineStart);
    for c in "t".chars() {
        act(&mut s, Action::Insert(c));
    }
    act(&mut s, Action::Complete);
    let prompt = s.prompt.as_ref().unwrap();
    assert_eq!(
        prompt.input.text(),
        "topic",
        "the common start of topic and topics"
    );
    assert_eq!(prompt.hint.as_deref(), Some("topic  topics"));
}

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
    assert!(text(&render(&s, 160, 48)).contains("type its name"));
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
    event(&mut r, Event::Metadata(cluster()));
    act(&mut r, Action::ShowTopics);
    act(&mut r, Action::NewTopic);
    assert!(r.prompt.is_none());
    assert!(text(&render(&r, 160, 48)).contains("read-only mode: changes are disabled"));
}

#[test]
fn a_group_is_deleted_only_without_members_and_after_its_name() {
    use kview::app::event::AdminChange;
    let mut s = groups_state();
    type_command(&mut s, "groups");
    // "audit" has no members, "billing" has one; the list is sorted by name.
    act(&mut s, Action::Top);
    assert_eq!(s.groups.selected(), Some("audit"));
    act(&mut s, Action::DeleteSelected);
    for c in "audit".chars() {
        act(&mut s, Action::Insert(c));
    }
    assert_eq!(
        act(&mut s, Action::Submit),
        vec![Command::Admin(AdminChange::DeleteGroup("audit".into()))]
    );
    act(&mut s, Action::Down);
    assert_eq!(s.groups.selected(), Some("billing"));
    act(&mut s, Action::DeleteSelected);
    assert!(s.prompt.is_none());
    assert!(text(&render(&s, 160, 48)).contains("stop them before deleting it"));

    // R limits a reset to the selected partition.
    type_command(&mut s, "group audit");
    act(&mut s, Action::ResetPartition);
    for c in "earliest".chars() {
        act(&mut s, Action::Insert(c));
    }
    let commands = act(&mut s, Action::Submit);
    let [
        Command::PlanReset {
            only: Some((topic, _)),
            ..
        },
    ] = commands.as_slice()
    else {
        panic!("a reset of one partition: {commands:?}");
    };
    assert_eq!(topic, "orders");
}

/// Every header label the tables use; a cut one ("COMMITT", "TREN") is not among them.
const HEADER_LABELS: &[&str] = &[
    "ALERTS",
    "BROKERS",
    "CATCH UP",
    "CLUSTER",
    "COMMIT/S",
    "COMMITTED",
    "GROUP",
    "HIGH",
    "HOST:PORT",
    "ID",
    "ISR",
    "LAG AFTER",
    "LAG TIME",
    "LAG",
    "LATEST",
    "LEADER",
    "LOW",
    "MAX",
    "MEAN",
    "MEMBERS",
    "MESSAGES",
    "MIN",
    "MODE",
    "MSG/S",
    "NAME",
    "NEW",
    "NOW",
    "OLD",
    "OWNER",
    "P",
    "RACK",
    "REPLICAS",
    "ROLE",
    "SECURITY",
    "SENSOR",
    "SOURCE",
    "STATE",
    "STATUS",
    "SUBJECT",
    "TOPIC",
    "TOPICS",
    "TREND",
    "TREND (log)",
    "TYPE",
    "VALUE",
    "VERSIONS",
    "WINDOW",
    "PARTS",
    "RF",
    "SIZE",
    "OFFSET",
    "KEY",
    "ON DISK",
    "TIME (UTC)",
    "LEADS",
    "MEMBER",
    "PROTOCOL",
    "EPOCH",
    "PARTITIONS",
    "START",
    "TRAILS",
];

/// Table header lines: three or more upper-case labels between borders.
fn header_labels(line: &str) -> Option<Vec<String>> {
    let inner = line.trim_matches(|c: char| c == '│' || c == ' ');
    let labels: Vec<String> = inner
        .split("  ")
        .map(|t| t.trim().trim_end_matches(['↑', '↓']).to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    let upper = |t: &String| {
        t.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && !t
                .chars()
                .any(|c| c.is_ascii_lowercase() && !t.contains("(log)"))
    };
    (labels.len() >= 3 && labels.iter().all(upper)).then_some(labels)
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
fn a_whole_topic_search_scans_in_the_background_and_esc_stops_it() {
    let mut s = messages_state();
    act(&mut s, Action::SearchTopic);
    for c in "needle".chars() {
        act(&mut s, Action::Insert(c));
    }
    let commands = act(&mut s, Action::Submit);
    let [Command::Browse(request)] = commands.as_slice() else {
        panic!("a search starts a scan: {commands:?}");
    };
    assert_eq!(request.search.as_deref(), Some("needle"));
    assert_eq!(request.start, kview::kafka::StartAt::Beginning);
    assert!(!request.follow);
    let id = request.id;
    event(
        &mut s,
        Event::Messages {
            browse_id: id,
            messages: vec![message(1, 7, None, Some(b"a needle here"))],
            progress: Progress {
                read: 4_000,
                total: 10_000,
            },
            done: false,
            skipped: 0,
            permit: BatchPermit::default(),
        },
    );
    let screen = text(&render(&s, 160, 48));
    assert!(
        screen.contains("searching 1 match for needle: 4,000 scanned"),
        "{screen}"
    );
    assert_eq!(act(&mut s, Action::Back), vec![Command::StopBrowse]);
    assert_eq!(
        s.view(),
        kview::app::views::View::Messages,
        "Esc stops, it does not leave"
    );
    assert!(text(&render(&s, 160, 48)).contains("search stopped at 1 match"));

    // A search that finds nothing says how much it looked at, not an empty list.
    act(&mut s, Action::SearchTopic);
    for c in "absent".chars() {
        act(&mut s, Action::Insert(c));
    }
    let commands = act(&mut s, Action::Submit);
    let [Command::Browse(request)] = commands.as_slice() else {
        panic!("a search starts a scan: {commands:?}");
    };
    event(
        &mut s,
        Event::Messages {
            browse_id: request.id,
            messages: Vec::new(),
            progress: Progress {
                read: 10_000,
                total: 10_000,
            },
            done: true,
            skipped: 0,
            permit: BatchPermit::default(),
        },
    );
    let screen = text(&render(&s, 80, 24));
    assert!(
        screen.contains("no match for absent in 10,000 records"),
        "{screen}"
    );
}

#[test]
fn all_partitions_read_in_time_order_and_scrolling_up_reads_older_records() {
    let mut s = base_state();
    act(&mut s, Action::ShowTopics);
    let browse = act(&mut s, Action::ShowMessages);
    let Some(Command::Browse(first)) = browse.first() else {
        panic!("{browse:?}");
    };
    let at = |m: Message, ms: i64| Message {
        timestamp_ms: ms,
        ..m
    };
    event(
        &mut s,
        Event::Messages {
            browse_id: first.id,
            messages: vec![
                at(message(1, 5, None, Some(b"b")), 2_000),
                at(message(0, 9, None, Some(b"a")), 1_000),
                at(message(2, 1, None, Some(b"c")), 3_000),
            ],
            progress: Progress::default(),
            done: false,
            skipped: 0,
            permit: BatchPermit::default(),
        },
    );
    let offsets: Vec<i64> = s
        .messages
        .visible_rows()
        .map(|r| r.message.offset)
        .collect();
    assert_eq!(offsets, [9, 5, 1], "by time, not by partition");

    act(&mut s, Action::Top);
    let commands = act(&mut s, Action::Up);
    let [Command::Browse(older)] = commands.as_slice() else {
        panic!("scrolling up past the top reads further back: {commands:?}");
    };
    assert_eq!(older.start, kview::kafka::StartAt::FromEnd(300));
    assert!(older.follow, "the tail goes on");
    event(
        &mut s,
        Event::Messages {
            browse_id: older.id,
            messages: vec![
                at(message(0, 2, None, Some(b"old")), 500),
                at(message(0, 9, None, Some(b"a")), 1_000),
                at(message(1, 5, None, Some(b"b")), 2_000),
            ],
            progress: Progress::default(),
            done: false,
            skipped: 0,
            permit: BatchPermit::default(),
        },
    );
    let selected = s.messages.selected_row().unwrap();
    assert_eq!(
        (selected.message.partition, selected.message.offset),
        (0, 9),
        "the record that was selected stays selected"
    );
    assert_eq!(s.messages.len(), 3);
}

#[test]
fn the_jump_keys_work_from_every_view_that_does_not_use_the_letter() {
    use kview::app::keymap::{Mode, action_for};
    use kview::app::views::View;
    let key = |c| {
        crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char(c),
            crossterm::event::KeyModifiers::NONE,
        )
    };
    for view in [
        View::Topic,
        View::Messages,
        View::Groups,
        View::Group,
        View::Brokers,
        View::Schemas,
        View::Clusters,
    ] {
        assert_eq!(
            action_for(Mode::View(view), key('t')),
            Some(Action::ShowTopics),
            "{view:?}"
        );
        assert_eq!(
            action_for(Mode::View(view), key('c')),
            Some(Action::ShowGroups),
            "{view:?}"
        );
        assert_eq!(
            action_for(Mode::View(view), key('l')),
            Some(Action::ShowMl),
            "{view:?}"
        );
        assert_eq!(
            action_for(Mode::View(view), key('p')),
            Some(Action::OpenProduce),
            "{view:?}"
        );
    }
    // A view's own use of a letter wins: in the topics list r reverses the sort.
    assert_eq!(
        action_for(Mode::View(View::Topics), key('r')),
        Some(Action::ReverseSort)
    );
    assert_eq!(
        action_for(Mode::View(View::Messages), key('r')),
        Some(Action::ShowSensors)
    );
}

#[test]
fn names_too_long_for_their_column_end_in_an_ellipsis() {
    let mut s = State::new("127.0.0.1:9092".into(), false);
    let mut meta = cluster();
    meta.topics[0].name = "orders-of-the-eastern-region-warehouse-replenishment-v2".into();
    event(&mut s, Event::Connection(ConnState::Connected));
    event(&mut s, Event::Metadata(meta));
    act(&mut s, Action::ShowTopics);
    let screen = text(&render(&s, 60, 15));
    let line = screen
        .lines()
        .find(|l| l.contains("orders-of-the"))
        .expect("the topic is listed");
    assert!(line.contains('…'), "cut with an ellipsis: {line:?}");
}

#[test]
fn a_narrow_list_keeps_the_time_of_day_and_drops_the_date() {
    let s = messages_state();
    let wide = text(&render(&s, 160, 48));
    assert!(wide.contains("2025-11-24 16:00:00.000"), "{wide}");
    let narrow = text(&render(&s, 60, 24));
    assert!(narrow.contains("16:00:00.000"), "{narrow}");
    assert!(!narrow.contains("2025-11-24 16:00:00.000"), "{narrow}");
}

#[test]
fn the_hex_dump_fits_the_detail_pane() {
    let mut s = messages_state();
    update(&mut s, Msg::Resize(160, 48));
    let screen = text(&render(&s, 160, 48));
    let dump = screen
        .lines()
        .find(|l| l.contains("00000000"))
        .expect("the binary record's dump");
    assert!(
        dump.contains("00 01 02 03  fa fb fc fd  |........|"),
        "8 bytes a line, the text beside them: {dump}"
    );
    assert!(screen.contains("00000008  1b 9b"), "{screen}");
}

#[test]
fn a_reset_can_be_limited_to_one_topic_or_partition_by_typing_it() {
    let mut s = groups_state();
    type_command(&mut s, "group audit");
    for (typed, only) in [
        ("earliest orders", Some(("orders".to_owned(), None))),
        ("earliest orders/2", Some(("orders".to_owned(), Some(2)))),
        ("earliest", None),
    ] {
        s.group.reset = None;
        act(&mut s, Action::ResetOffsets);
        for c in typed.chars() {
            act(&mut s, Action::Insert(c));
        }
        let commands = act(&mut s, Action::Submit);
        let [Command::PlanReset { only: got, .. }] = commands.as_slice() else {
            panic!("{typed}: {commands:?}");
        };
        assert_eq!(got, &only, "{typed}");
    }
    act(&mut s, Action::ResetOffsets);
    for c in "earliest orders/x".chars() {
        act(&mut s, Action::Insert(c));
    }
    assert!(act(&mut s, Action::Submit).is_empty());
    assert!(text(&render(&s, 160, 48)).contains("not a partition number"));
}

#[test]
fn jumping_back_from_a_live_tail_says_how_to_follow_again() {
    let mut s = messages_state();
    assert!(s.messages.follow, "opened on a live tail");
    act(&mut s, Action::JumpToOffset);
    assert!(
        text(&render(&s, 160, 48)).contains("-N per partition"),
        "the prompt says what -N counts"
    );
    for c in "-5".chars() {
        act(&mut s, Action::Insert(c));
    }
    act(&mut s, Action::Submit);
    let screen = text(&render(&s, 160, 48));
    assert!(
        screen.contains("the live tail stopped (f follows again)"),
        "{screen}"
    );
    assert!(
        screen.contains("5 before the end of each partition"),
        "{screen}"
    );
}
