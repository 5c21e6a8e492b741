//! States built through the real update step, and the renderer on TestBackend: what every view's tests start from.

#![allow(dead_code)]

pub use crate::states::states;

pub use bytes::Bytes;
pub use chrono::FixedOffset;
pub use ratatui::Terminal;
pub use ratatui::backend::TestBackend;
pub use ratatui::buffer::Buffer;

pub use kview::app::action::Action;
pub use kview::app::event::{BatchPermit, Command, ConnState, Event};
pub use kview::app::state::{Msg, State, update};
pub use kview::kafka::reader::Progress;
pub use kview::kafka::{
    BrokerInfo, ClusterMetadata, ConfigEntry, GroupKind, Header, Message, PartitionInfo,
    TimestampType, TopicInfo, Watermarks,
};
pub use kview::ui;
pub use kview::ui::theme::Theme;

pub fn partition(id: i32, leader: i32, replicas: &[i32], isr: &[i32]) -> PartitionInfo {
    PartitionInfo {
        id,
        leader,
        replicas: replicas.into(),
        isr: isr.into(),
        offline_replicas: Default::default(),
    }
}

pub fn cluster() -> ClusterMetadata {
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

pub fn marks(orders: [i64; 3], payments: i64) -> Vec<((String, i32), Watermarks)> {
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

pub fn message(partition: i32, offset: i64, key: Option<&[u8]>, value: Option<&[u8]>) -> Message {
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
        producer_id: -1,
        txn: kview::kafka::records::TxnMark::None,
    }
}

pub fn act(state: &mut State, action: Action) -> Vec<Command> {
    update(state, Msg::Action(action))
}

pub fn event(state: &mut State, e: Event) {
    update(state, Msg::Event(e));
}

/// A connected dashboard with two throughput samples taken.
pub fn base_state() -> State {
    let mut s = State::new("127.0.0.1:9092".into(), false);
    s.utc_offset = FixedOffset::east_opt(0);
    event(&mut s, Event::Connection(ConnState::Connected));
    event(&mut s, Event::Metadata(cluster().into()));
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

pub fn messages_state() -> State {
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
pub fn schema_messages_state() -> State {
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
pub fn brokers_state() -> State {
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
pub fn schemas_state() -> State {
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
pub fn groups_state() -> State {
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
        stable_offsets: HashMap::new(),
    };
    let audit = OwnedGroupSnapshot {
        group: "audit".into(),
        kind: GroupKind::Classic,
        share_starts: Vec::new(),
        description: None,
        committed: vec![offset(0, 10)],
        high_watermarks: highs,
        exact_times: HashMap::new(),
        stable_offsets: HashMap::new(),
    };
    event(
        &mut s,
        Event::Groups {
            at_ms: 6_000,
            snapshots: vec![billing, audit],
            every_when_slower: None,
        },
    );
    act(&mut s, Action::ShowGroups);
    act(&mut s, Action::Down);
    s
}

pub fn render(state: &State, width: u16, height: u16) -> Buffer {
    render_in(state, &Theme::ansi(), width, height)
}

pub fn render_in(state: &State, theme: &Theme, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| {
            ui::render(f, state, theme);
        })
        .unwrap();
    terminal.backend().buffer().clone()
}

pub fn text(buffer: &Buffer) -> String {
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

pub fn type_command(s: &mut State, text: &str) -> Vec<Command> {
    act(s, Action::OpenCommand);
    for c in text.chars() {
        act(s, Action::Insert(c));
    }
    act(s, Action::Submit)
}

/// Every header label the tables use; a cut one ("COMMITT", "TREN") is not among them.
pub const HEADER_LABELS: &[&str] = &[
    "ALERTS",
    "ANSWERS",
    "BROKERS",
    "CATCH UP",
    "CLUSTER",
    "COMMIT/S",
    "COMMITTED",
    "EPOCH",
    "FREE",
    "GROUP",
    "HIGH",
    "HOST",
    "HOST:PORT",
    "ID",
    "ISR",
    "KEY",
    "LAG",
    "LAG AFTER",
    "LAG TIME",
    "LATEST",
    "LEADER",
    "LEADS",
    "LOW",
    "MAX",
    "MEAN",
    "MEMBER",
    "MEMBERS",
    "MESSAGES",
    "MIN",
    "MODE",
    "MSG/S",
    "NAME",
    "NEW",
    "NOW",
    "OFFSET",
    "OLD",
    "ON DISK",
    "OPEN FOR",
    "OPERATION",
    "OWNER",
    "P",
    "PARTITIONS",
    "PARTS",
    "PATTERN",
    "PERMISSION",
    "PRINCIPAL",
    "PROCESSOR",
    "PRODUCER",
    "PROTOCOL",
    "QUORUM",
    "RACK",
    "READINGS/S",
    "REPLICAS",
    "RESOURCE",
    "RF",
    "ROLE",
    "SECURITY",
    "SENSOR",
    "SIZE",
    "SOURCE",
    "STABLE",
    "START",
    "STATE",
    "STATUS",
    "SUBJECT",
    "TIME (UTC)",
    "TIMEOUT",
    "TOPIC",
    "TOPICS",
    "TRAILS",
    "TRANSACTIONAL ID",
    "TREND",
    "TREND (log)",
    "TYPE",
    "VALUE",
    "VERSIONS",
    "WINDOW",
];

/// Table header lines: three or more upper-case labels between borders.
pub fn header_labels(line: &str) -> Option<Vec<String>> {
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
