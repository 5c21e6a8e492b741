//! Every view at 80×24, 100×30 and 60×15 with long real values — a 60-character topic name,
//! Long.MAX configs, watermarks in the trillions, a long broker error — read the way a person
//! reads the screen: no value cut without `…`, no number cut at all, every notice whole (or
//! wrapped), every field of the produce form on screen.

use crate::harness::*;
use kview::app::event::AdminChange;
use kview::app::state::Notice;

/// 60 characters, every one allowed in a topic name.
const LONG_TOPIC: &str = "payments.eu-west-1.customer-ledger-events.v2.compacted-final";
const LONG_GROUP: &str = "billing-service.eu-west-1.ledger-reconciliation-consumer-07";
const LONG_MAX: &str = "9223372036854775807";
const LONG_CLASS: &str =
    "org.apache.kafka.common.metrics.stats.SampledStatReporterWithATrulyLongName";
const LONG_ERROR: &str = "INVALID_REPLICATION_FACTOR (Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered.)";
/// A high watermark of 9 trillion.
const BIG: i64 = 9_000_000_000_123;

fn long_cluster() -> ClusterMetadata {
    let mut meta = cluster();
    meta.topics.push(TopicInfo {
        name: LONG_TOPIC.into(),
        internal: false,
        partitions: (0..3)
            .map(|p| partition(p, p % 3 + 1, &[1, 2, 3], &[1, 2, 3]))
            .collect(),
    });
    meta
}

fn long_marks(high: i64) -> Vec<((String, i32), Watermarks)> {
    let mut marks = marks([400, 90, 12], 40);
    for p in 0..3 {
        marks.push(((LONG_TOPIC.to_string(), p), Watermarks { low: 0, high }));
    }
    marks
}

fn config(name: &str, value: &str) -> ConfigEntry {
    ConfigEntry {
        name: name.into(),
        value: Some(value.into()),
        is_default: false,
        is_sensitive: false,
        read_only: false,
        source: "topic",
    }
}

fn long_configs() -> Vec<ConfigEntry> {
    vec![
        config("flush.messages", LONG_MAX),
        config("max.compaction.lag.ms", LONG_MAX),
        config("local.retention.ms", "-2"),
        config("metric.reporters", LONG_CLASS),
    ]
}

fn long_base() -> State {
    let mut s = State::new("127.0.0.1:9092".into(), false);
    s.utc_offset = chrono::FixedOffset::east_opt(0);
    event(&mut s, Event::Connection(ConnState::Connected));
    event(&mut s, Event::Metadata(long_cluster().into()));
    for (i, high) in [BIG - 2_000, BIG - 1_000, BIG].into_iter().enumerate() {
        event(
            &mut s,
            Event::Watermarks {
                at_ms: 1_000 * i as i64,
                marks: long_marks(high),
                missing: vec![],
            },
        );
    }
    s
}

fn long_group_state() -> State {
    use kview::collect::groups::OwnedGroupSnapshot;
    use kview::kafka::{CommittedOffset, GroupDescription, GroupMember};
    use std::collections::HashMap;
    let mut s = long_base();
    let snapshot = OwnedGroupSnapshot {
        group: LONG_GROUP.into(),
        kind: GroupKind::Consumer,
        share_starts: Vec::new(),
        description: Some(GroupDescription {
            group_id: LONG_GROUP.into(),
            kind: GroupKind::Consumer,
            state: "Stable".into(),
            protocol_type: "consumer".into(),
            protocol: "uniform".into(),
            coordinator: 1,
            group_epoch: Some(12),
            assignment_epoch: Some(12),
            note: None,
            members: vec![GroupMember {
                member_id: "ozMiRYkVRMuk0cdHAepPMQ-a-long-member-id".into(),
                client_id: "ledger-reconciler-with-a-long-client-id".into(),
                host: "/10.200.100.250".into(),
                member_epoch: Some(12),
                member_type: Some("consumer".into()),
                assignment: (0..3).map(|p| (LONG_TOPIC.to_string(), p)).collect(),
                target_assignment: Some((0..3).map(|p| (LONG_TOPIC.to_string(), p)).collect()),
                ..GroupMember::default()
            }],
        }),
        committed: (0..3)
            .map(|p| CommittedOffset {
                topic: LONG_TOPIC.into(),
                partition: p,
                offset: BIG - 7,
                metadata: None,
            })
            .collect(),
        high_watermarks: (0..3)
            .map(|p| ((LONG_TOPIC.to_string(), p), BIG))
            .collect::<HashMap<_, _>>(),
        exact_times: HashMap::new(),
        stable_offsets: HashMap::new(),
    };
    event(
        &mut s,
        Event::Groups {
            at_ms: 3_000,
            snapshots: vec![snapshot],
            every_when_slower: None,
        },
    );
    s
}

/// Every view, with the long values in it.
fn long_states() -> Vec<(&'static str, State)> {
    let mut v = Vec::new();

    let mut notice = long_base();
    event(
        &mut notice,
        Event::Admin {
            change: AdminChange::CreateTopic {
                name: "x".into(),
                partitions: 1,
                replication: 3,
            },
            result: Err(LONG_ERROR.into()),
            metadata: None,
        },
    );
    assert!(matches!(notice.notice, Some(Notice::Error(_))));
    v.push(("overview with an error", notice));

    let mut topics = long_base();
    act(&mut topics, Action::ShowTopics);
    v.push(("topics", topics));

    let mut topic = long_base();
    type_command(&mut topic, &format!("topic {LONG_TOPIC}"));
    v.push(("topic partitions", topic.clone()));
    act(&mut topic, Action::NextPane);
    event(
        &mut topic,
        Event::Configs {
            topic: LONG_TOPIC.into(),
            result: Ok(long_configs()),
        },
    );
    v.push(("topic configs", topic.clone()));
    act(&mut topic, Action::ToggleRaw);
    v.push(("topic configs as stored", topic));

    let mut brokers = long_base();
    type_command(&mut brokers, "brokers");
    act(&mut brokers, Action::Open);
    event(
        &mut brokers,
        Event::BrokerConfigs {
            broker: 1,
            result: Ok(long_configs()),
        },
    );
    act(&mut brokers, Action::ToggleRaw);
    v.push(("broker configs as stored", brokers));

    let mut messages = long_base();
    type_command(&mut messages, &format!("topic {LONG_TOPIC}"));
    let browse = act(&mut messages, Action::ShowMessages);
    let Some(Command::Browse(request)) = browse.first() else {
        panic!("messages start a browse: {browse:?}");
    };
    let long_value = format!("{{\"class\":\"{LONG_CLASS}\",\"note\":\"{LONG_ERROR}\"}}");
    event(
        &mut messages,
        Event::Messages {
            browse_id: request.id,
            messages: vec![message(
                0,
                BIG - 1,
                Some(LONG_GROUP.as_bytes()),
                Some(long_value.as_bytes()),
            )],
            progress: Progress::default(),
            done: false,
            skipped: 0,
            permit: BatchPermit::default(),
        },
    );
    v.push(("messages", messages));

    let mut groups = long_group_state();
    act(&mut groups, Action::ShowGroups);
    v.push(("groups", groups.clone()));
    act(&mut groups, Action::Open);
    v.push(("group", groups));

    let mut produce = long_base();
    type_command(&mut produce, &format!("topic {LONG_TOPIC}"));
    act(&mut produce, Action::OpenProduce);
    act(&mut produce, Action::NextPane);
    act(&mut produce, Action::NextPane);
    for c in LONG_GROUP.chars() {
        act(&mut produce, Action::Insert(c));
    }
    act(&mut produce, Action::NextPane);
    for c in long_value.chars() {
        act(&mut produce, Action::Insert(c));
    }
    v.push(("produce", produce));

    let mut help = long_base();
    act(&mut help, Action::ShowTopics);
    act(&mut help, Action::ToggleHelp);
    v.push(("help", help));
    v
}

/// The screen's lines, trailing spaces dropped.
fn lines(screen: &str) -> Vec<String> {
    screen.lines().map(|l| l.trim_end().to_owned()).collect()
}

/// Where `value` shows on the screen, it shows whole, or cut with `…` right after the part
/// shown, or wrapped: the line ends there and the next goes on with the rest.
fn never_cut_silently(view: &str, size: (u16, u16), screen: &[String], value: &str) {
    let probe: String = value.chars().take(12).collect();
    for (row, line) in screen.iter().enumerate() {
        let mut from = 0;
        while let Some(at) = line[from..].find(&probe) {
            let start = from + at;
            let shown: String = line[start..]
                .chars()
                .zip(value.chars())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect();
            let rest_of_line = &line[start + shown.len()..];
            let after = rest_of_line.chars().next();
            let whole = shown.len() == value.len();
            let marked = after == Some('…');
            // Wrapped: nothing but room (and a panel's border) after it on this line, and the
            // next line goes on with the rest.
            let edge = |c: char| c == ' ' || c == '│';
            let wrapped = rest_of_line.chars().all(edge)
                && screen.get(row + 1).is_some_and(|next| {
                    let rest = value[shown.len()..].trim_start();
                    let head: String = rest.chars().take(8).collect();
                    next.trim_start_matches(edge).starts_with(&head)
                });
            assert!(
                whole || marked || wrapped,
                "{view} at {}x{}: {value:?} cut without … in line {row}: {line:?}",
                size.0,
                size.1
            );
            from = start + probe.len();
        }
    }
}

/// A number shows whole or not at all: Long.MAX whole wherever its first digits are, and no
/// run of digits anywhere ends in `…`.
fn never_cut_a_number(view: &str, size: (u16, u16), screen: &str) {
    let head: String = LONG_MAX.chars().take(9).collect();
    if screen.contains(&head) {
        assert!(
            screen.contains(LONG_MAX),
            "{view} at {}x{}: {LONG_MAX} shown cut:\n{screen}",
            size.0,
            size.1
        );
    }
    for line in screen.lines() {
        for (at, _) in line.match_indices('…') {
            let number: String = line[..at]
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '.')
                .collect();
            let starts_a_cell = line[..at - number.len()]
                .chars()
                .last()
                .is_none_or(|c| c == ' ' || c == '│');
            assert!(
                number.len() < 4 || !starts_a_cell,
                "{view} at {}x{}: a number cut in {line:?}",
                size.0,
                size.1
            );
        }
    }
}

#[test]
fn long_values_are_never_cut_without_an_ellipsis_and_numbers_never_at_all() {
    for (view, state) in long_states() {
        for size in [(80, 24), (100, 30), (60, 15)] {
            let screen = text(&render(&state, size.0, size.1));
            let rows = lines(&screen);
            for value in [LONG_TOPIC, LONG_GROUP, LONG_CLASS, LONG_ERROR] {
                never_cut_silently(view, size, &rows, value);
            }
            never_cut_a_number(view, size, &screen);
        }
    }
}

#[test]
fn a_long_error_is_shown_whole_at_every_size() {
    let (_, state) = long_states().remove(0);
    for (w, h) in [(80, 24), (100, 30), (60, 15)] {
        let screen = text(&render(&state, w, h));
        let rows = lines(&screen);
        // The footer is the last lines; joined, they hold the whole error.
        let footer = rows
            .iter()
            .rev()
            .take_while(|l| !l.starts_with('└'))
            .cloned()
            .collect::<Vec<_>>();
        let joined = footer
            .iter()
            .rev()
            .map(|l| l.trim())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            joined.contains(LONG_ERROR),
            "{w}x{h}: the error, whole: {joined:?}\n{screen}"
        );
    }
}

#[test]
fn every_field_of_the_produce_form_is_on_screen_at_every_size() {
    let (_, state) = long_states()
        .into_iter()
        .find(|(name, _)| *name == "produce")
        .unwrap();
    for (w, h) in [(80, 24), (100, 30), (60, 15), (50, 12)] {
        let screen = text(&render(&state, w, h));
        for label in ["Topic", "Partition", "Key", "Value", "Headers", "Schema"] {
            assert!(
                screen.contains(label),
                "{w}x{h}: the {label} field is on screen:\n{screen}"
            );
        }
    }
}
