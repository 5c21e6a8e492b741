//! One state of every view (and of its notable moments), for the snapshots and the checks that
//! run over all views.

use crate::harness::*;

pub fn states() -> Vec<(&'static str, State)> {
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
    // Two processors; the second dies and the first takes its partitions.
    for (at_ms, owners, offsets) in [
        (
            1_764_000_000_000,
            vec![("m-1", vec![0, 2]), ("m-2", vec![1, 3])],
            100,
        ),
        (
            1_764_000_002_000,
            vec![("m-1", vec![0, 2]), ("m-2", vec![1, 3])],
            160,
        ),
        (1_764_000_013_400, vec![("m-1", vec![0, 1, 2, 3])], 160),
    ] {
        event(
            &mut sensors,
            Event::ProcessorGroup {
                at_ms,
                topic: "sensors".into(),
                look: Ok((
                    processor_group(&owners),
                    (0..4).map(|p| (p, offsets)).collect(),
                )),
            },
        );
    }
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
    let mut transactions = base_state();
    type_command(&mut transactions, "transactions");
    event(
        &mut transactions,
        Event::Transactions(Ok(crate::transactions::snapshot())),
    );
    v.push(("transactions", transactions));
    let mut acls = base_state();
    type_command(&mut acls, "acls");
    event(&mut acls, Event::Acls(Ok(Some(crate::acls::grants()))));
    v.push(("acls", acls));
    v
}

/// The sensor processors' group with these members and partitions of `sensors`.
pub fn processor_group(owners: &[(&str, Vec<i32>)]) -> kview::kafka::GroupDescription {
    kview::kafka::GroupDescription {
        group_id: "kview-sensor-processor".into(),
        kind: kview::kafka::GroupKind::Consumer,
        state: "Stable".into(),
        protocol_type: "consumer".into(),
        protocol: "uniform".into(),
        coordinator: 1,
        group_epoch: None,
        assignment_epoch: None,
        members: owners
            .iter()
            .map(|(id, partitions)| kview::kafka::GroupMember {
                member_id: (*id).into(),
                host: "/127.0.0.1".into(),
                assignment: partitions.iter().map(|p| ("sensors".into(), *p)).collect(),
                ..Default::default()
            })
            .collect(),
        note: None,
    }
}
