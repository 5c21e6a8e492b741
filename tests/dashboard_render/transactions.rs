//! Transactions in the dashboard: the topic view's last stable offset and what holds it back,
//! and `:transactions` with its hanging ones, aborted after the partition is typed.

use crate::harness::*;
use kview::app::event::AdminChange;
use kview::app::views::transactions::{TxnRow, TxnSnapshot};
use kview::collect::transactions::{OpenTransaction, Unstable};
use kview::kafka::{ProducerState, TransactionDescription, TransactionListing};

#[test]
fn the_topic_view_shows_the_last_stable_offset_and_what_holds_it_back() {
    let mut s = base_state();
    let commands = type_command(&mut s, "topic orders");
    assert!(!commands.contains(&Command::LoadTopicTransactions("orders".into())));
    let screen = text(&render(&s, 100, 30));
    assert!(
        !screen.contains("STABLE"),
        "no column while nothing is held back"
    );
    // The poller finds partition 0 held back: the view asks which transactions.
    let mut asked = Vec::new();
    asked.extend(update(
        &mut s,
        Msg::Event(Event::StableOffsets(vec![(("orders".to_string(), 0), 380)])),
    ));
    assert!(
        asked.contains(&Command::LoadTopicTransactions("orders".into())),
        "{asked:?}"
    );
    event(
        &mut s,
        Event::TopicTransactions {
            topic: "orders".into(),
            result: Ok(vec![Unstable {
                topic: "orders".into(),
                partition: 0,
                last_stable_offset: 380,
                high_watermark: 400,
                open_transactions: vec![OpenTransaction {
                    producer_id: 4001,
                    start_offset: 380,
                    since_ms: Some(1_764_000_000_000),
                }],
            }]),
        },
    );
    let screen = text(&render(&s, 100, 30));
    assert!(screen.contains("STABLE"), "{screen}");
    assert!(screen.contains("380"), "{screen}");
    assert!(
        screen.contains("1 open transaction since 16:00:00 holds 20 records"),
        "{screen}"
    );
    // Asked again only when what is held back changes.
    assert!(
        update(
            &mut s,
            Msg::Event(Event::StableOffsets(vec![(("orders".to_string(), 0), 380)]))
        )
        .is_empty()
    );
}

pub fn snapshot() -> TxnSnapshot {
    TxnSnapshot {
        transactions: vec![TxnRow {
            listing: TransactionListing {
                transactional_id: "orders-writer".into(),
                producer_id: 4001,
                state: "Ongoing".into(),
                coordinator: 1,
            },
            description: Some(TransactionDescription {
                transactional_id: "orders-writer".into(),
                state: "Ongoing".into(),
                producer_id: 4001,
                producer_epoch: 2,
                timeout_ms: 60_000,
                started_ms: Some(1_000),
                partitions: vec![("orders".into(), 0)],
                coordinator: 1,
            }),
        }],
        hanging: vec![ProducerState {
            topic: "orders".into(),
            partition: 1,
            producer_id: 5005,
            producer_epoch: 0,
            last_sequence: 9,
            last_timestamp: 1_000,
            coordinator_epoch: 3,
            open_transaction_from: Some(77),
        }],
        at_ms: 3_601_000,
    }
}

#[test]
fn transactions_lists_ongoing_and_hanging_and_aborts_after_the_partition_is_typed() {
    let mut s = base_state();
    assert_eq!(
        type_command(&mut s, "transactions"),
        vec![Command::LoadTransactions]
    );
    event(&mut s, Event::Transactions(Ok(snapshot())));
    let screen = text(&render(&s, 80, 24));
    assert!(
        screen.contains("orders-writer") && screen.contains("Ongoing"),
        "{screen}"
    );
    assert!(screen.contains("Hanging"), "{screen}");
    assert!(
        screen.contains("5005/0") && screen.contains("1h00m"),
        "{screen}"
    );
    act(&mut s, Action::NextPane);
    act(&mut s, Action::DeleteSelected);
    assert!(
        text(&render(&s, 160, 48)).contains("abort the transaction on orders/1 from offset 77"),
        "the prompt names the partition and offset"
    );
    for c in "orders/2".chars() {
        act(&mut s, Action::Insert(c));
    }
    assert!(
        act(&mut s, Action::Submit).is_empty(),
        "the wrong partition keeps it"
    );
    act(&mut s, Action::DeleteSelected);
    for c in "orders/1".chars() {
        act(&mut s, Action::Insert(c));
    }
    assert_eq!(
        act(&mut s, Action::Submit),
        vec![Command::Admin(AdminChange::AbortTransaction {
            topic: "orders".into(),
            partition: 1,
            start_offset: 77,
        })]
    );
    // Read-only: refused before anything is asked.
    let mut ro = State::new("b:9092".into(), true);
    event(&mut ro, Event::Metadata(cluster().into()));
    type_command(&mut ro, "transactions");
    event(&mut ro, Event::Transactions(Ok(snapshot())));
    act(&mut ro, Action::NextPane);
    act(&mut ro, Action::DeleteSelected);
    assert!(ro.prompt.is_none());
    assert!(text(&render(&ro, 160, 48)).contains("read-only"));
}
