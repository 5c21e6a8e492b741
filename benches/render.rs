//! Frame time of the busiest views at 200×50: the topics table of a 10,000-partition cluster
//! and the consumer groups table of 200 groups, drawn on ratatui's TestBackend; and a step of
//! the message browser following a firehose at 160×45 (a batch taken in, a frame drawn).

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use kview::app::action::Action;
use kview::app::event::{BatchPermit, Command, ConnState, Event};
use kview::app::state::{Msg, State, update};
use kview::kafka::reader::Progress;
use kview::kafka::{BrokerInfo, ClusterMetadata, PartitionInfo, TopicInfo, Watermarks};
use kview::kafka::{Message, TimestampType};
use kview::ui;
use kview::ui::theme::Theme;

/// 1,000 topics × 10 partitions on 3 brokers, with two watermark samples (rates known).
fn big_state() -> State {
    let mut s = State::new("127.0.0.1:9092".into(), false);
    update(&mut s, Msg::Event(Event::Connection(ConnState::Connected)));
    let topics: Vec<TopicInfo> = (0..1_000)
        .map(|t| TopicInfo {
            name: format!("big-{t:04}"),
            internal: false,
            partitions: (0..10)
                .map(|p| PartitionInfo {
                    id: p,
                    leader: p % 3 + 1,
                    replicas: [p % 3 + 1][..].into(),
                    isr: [p % 3 + 1][..].into(),
                    offline_replicas: Default::default(),
                })
                .collect(),
        })
        .collect();
    let meta = ClusterMetadata {
        cluster_id: Some("bench".into()),
        controller_id: 1,
        brokers: (1..=3)
            .map(|id| BrokerInfo {
                id,
                host: "127.0.0.1".into(),
                port: 9092 + id,
                rack: None,
            })
            .collect(),
        topics: topics.clone(),
    };
    update(&mut s, Msg::Event(Event::Metadata(meta.into())));
    for (i, at_ms) in [0i64, 1_000].into_iter().enumerate() {
        let marks = topics
            .iter()
            .flat_map(|t| {
                t.partitions.iter().map(move |p| {
                    (
                        (t.name.clone(), p.id),
                        Watermarks {
                            low: 0,
                            high: 1_000 + (i as i64) * (p.id as i64 + 1) * 7,
                        },
                    )
                })
            })
            .collect();
        update(
            &mut s,
            Msg::Event(Event::Watermarks {
                at_ms,
                marks,
                missing: vec![],
            }),
        );
    }
    s
}

fn frames(c: &mut Criterion) {
    let theme = Theme::from_env();
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let mut state = big_state();
    update(&mut state, Msg::Resize(200, 50));
    // Each view is reached from the one before by the action that opens it.
    let views: [(&str, Option<Action>); 3] = [
        ("overview, 10,000 partitions, 200x50", None),
        (
            "topics table, 1,000 topics, 200x50",
            Some(Action::ShowTopics),
        ),
        ("topic with 10 partitions, 200x50", Some(Action::Open)),
    ];
    for (name, open) in views {
        if let Some(action) = open {
            update(&mut state, Msg::Action(action));
        }
        c.bench_function(name, |b| b.iter(|| draw(&mut terminal, &state, &theme)));
    }
}

/// A batch as a live tail of sensor readings hands it over: `n` records on four partitions.
fn readings(first: i64, n: i64) -> Vec<Message> {
    (first..first + n)
        .map(|o| Message {
            partition: (o % 4) as i32,
            offset: o / 4,
            timestamp_ms: 1_764_000_000_000 + o,
            timestamp_type: TimestampType::CreateTime,
            key: Some(format!("sensor-{:02}", o % 24).into_bytes().into()),
            value: Some(
                format!(
                    r#"{{"sensor":"sensor-{:02}","site":"plant-a","kind":"temperature","unit":"C","timestamp":{},"seq":{o},"value":{:.3},"anomaly":null}}"#,
                    o % 24,
                    1_764_000_000_000 + o,
                    20.0 + (o % 97) as f64 / 10.0
                )
                .into_bytes()
                .into(),
            ),
            headers: vec![],
            producer_id: -1,
            txn: kview::kafka::records::TxnMark::None,
        })
        .collect()
}

fn firehose_step(c: &mut Criterion) {
    let theme = Theme::from_env();
    let mut terminal = Terminal::new(TestBackend::new(160, 45)).unwrap();
    let mut state = big_state();
    update(&mut state, Msg::Resize(160, 45));
    update(&mut state, Msg::Action(Action::ShowTopics));
    let opened = update(&mut state, Msg::Action(Action::ShowMessages));
    let Some(Command::Browse(request)) = opened.first() else {
        panic!("opening messages starts a browse");
    };
    let browse_id = request.id;
    let take = |state: &mut State, messages: Vec<Message>| {
        update(
            state,
            Msg::Event(Event::Messages {
                browse_id,
                messages,
                progress: Progress::default(),
                done: false,
                skipped: 0,
                permit: BatchPermit::default(),
            }),
        );
    };
    take(&mut state, readings(0, 5_000));
    // Each batch is newer than the last, made outside the timing.
    let next = std::cell::Cell::new(5_000);
    let batch = || {
        let first = next.replace(next.get() + 1_000);
        readings(first, 1_000)
    };
    c.bench_function(
        "browser following a firehose, 160x45: 1,000 records in",
        |b| b.iter_batched(batch, |m| take(&mut state, m), BatchSize::LargeInput),
    );
    c.bench_function(
        "browser following a firehose, 160x45: 1,000 records in, a frame",
        |b| {
            b.iter_batched(
                batch,
                |m| {
                    take(&mut state, m);
                    draw(&mut terminal, &state, &theme);
                },
                BatchSize::LargeInput,
            )
        },
    );
    // As the dashboard draws: crossterm's escape codes for what changed, into a buffer.
    let sink = std::io::BufWriter::with_capacity(64 * 1024, std::io::sink());
    let mut written = Terminal::with_options(
        ratatui::backend::CrosstermBackend::new(sink),
        ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, 160, 45)),
        },
    )
    .unwrap();
    c.bench_function(
        "browser following a firehose, 160x45: 1,000 records in, a frame written",
        |b| {
            b.iter_batched(
                batch,
                |m| {
                    take(&mut state, m);
                    draw(&mut written, &state, &theme);
                },
                BatchSize::LargeInput,
            )
        },
    );
}

/// A frame of the dashboard drawn on `terminal`, whatever its backend.
fn draw<B: ratatui::backend::Backend>(terminal: &mut Terminal<B>, state: &State, theme: &Theme) {
    terminal
        .draw(|f| {
            ui::render(f, state, theme);
        })
        .unwrap();
}

criterion_group!(benches, frames, firehose_step);
criterion_main!(benches);
