//! Operating the cluster in the dashboard: who may read and write the opened topic or group,
//! replicas on the move, leaders elected from the topic view, the quorum and the disks in
//! `:brokers`, and a broker's config edited there.

use crate::harness::*;
use kview::app::event::AdminChange;
use kview::app::views::operate::{ClusterHealth, DiskSpace};
use kview::kafka::acl::{Acl, Operation, PatternKind, Resource, ResourceKind, principal};
use kview::kafka::client::{Quorum, QuorumMember, Reassignment};

fn grant(kind: ResourceKind, name: &str, who: &str, op: Operation) -> Acl {
    Acl {
        resource: Resource::new(kind, name, PatternKind::Literal),
        principal: principal(who),
        host: "*".into(),
        operation: op,
        allow: true,
    }
}

/// The poller's clock: what a tick asks for.
fn tick(s: &mut State) -> Vec<Command> {
    update(s, Msg::Event(Event::StableOffsets(Vec::new())))
}

#[test]
fn the_topic_view_says_who_may_read_and_write_it_and_which_replicas_move() {
    let mut s = base_state();
    type_command(&mut s, "topic orders");
    let asked = tick(&mut s);
    assert!(asked.contains(&Command::LoadAccess(ResourceKind::Topic, "orders".into())));
    assert!(asked.contains(&Command::LoadReassignments));
    // Asked once while the answer is out.
    assert!(!tick(&mut s).contains(&Command::LoadReassignments));
    let screen = text(&render(&s, 120, 30));
    assert!(!screen.contains("may read"), "unknown until read: {screen}");

    event(
        &mut s,
        Event::Access {
            kind: ResourceKind::Topic,
            name: "orders".into(),
            result: Ok(Some(vec![grant(
                ResourceKind::Topic,
                "orders",
                "bob",
                Operation::Read,
            )])),
        },
    );
    event(
        &mut s,
        Event::Reassignments(Ok(vec![Reassignment {
            topic: "orders".into(),
            partition: 0,
            replicas: [1, 2, 3][..].into(),
            adding: vec![2, 3],
            removing: vec![],
        }])),
    );
    let screen = text(&render(&s, 120, 30));
    assert!(
        screen.contains("may read: bob · may write: super users only"),
        "{screen}"
    );
    assert!(screen.contains("replicas moving: p0 +2,3"), "{screen}");

    // Without an authorizer, it says so rather than naming no one.
    event(
        &mut s,
        Event::Access {
            kind: ResourceKind::Topic,
            name: "orders".into(),
            result: Ok(None),
        },
    );
    let screen = text(&render(&s, 120, 30));
    assert!(
        screen.contains("no authorizer: every client may read and write"),
        "{screen}"
    );
}

#[test]
fn the_group_view_names_who_may_join() {
    let mut s = groups_state();
    type_command(&mut s, "group billing");
    let asked = tick(&mut s);
    assert!(
        asked.contains(&Command::LoadAccess(ResourceKind::Group, "billing".into())),
        "{asked:?}"
    );
    event(
        &mut s,
        Event::Access {
            kind: ResourceKind::Group,
            name: "billing".into(),
            result: Ok(Some(vec![grant(
                ResourceKind::Group,
                "billing",
                "bob",
                Operation::Read,
            )])),
        },
    );
    let screen = text(&render(&s, 140, 30));
    assert!(screen.contains("may join: bob"), "{screen}");
}

#[test]
fn leaders_are_elected_from_the_topic_view_once_its_name_is_typed() {
    let mut s = base_state();
    type_command(&mut s, "topic orders");
    act(&mut s, Action::ElectLeaders);
    for c in "order".chars() {
        act(&mut s, Action::Insert(c));
    }
    assert!(
        act(&mut s, Action::Submit).is_empty(),
        "a wrong name elects nothing"
    );
    act(&mut s, Action::ElectLeaders);
    for c in "orders".chars() {
        act(&mut s, Action::Insert(c));
    }
    assert_eq!(
        act(&mut s, Action::Submit),
        vec![Command::Admin(AdminChange::ElectLeaders {
            topic: "orders".into()
        })]
    );
}

#[test]
fn brokers_show_their_part_in_the_quorum_and_their_free_space() {
    let mut s = brokers_state();
    let screen = text(&render(&s, 160, 30));
    assert!(screen.contains("QUORUM"), "{screen}");
    let asked = tick(&mut s);
    assert_eq!(asked, vec![Command::LoadClusterHealth]);
    let member = |id, log_end_offset| QuorumMember {
        id,
        voter: true,
        log_end_offset: Some(log_end_offset),
        last_fetch_ms: Some(1),
        last_caught_up_ms: Some(1),
    };
    event(
        &mut s,
        Event::ClusterHealth(ClusterHealth {
            quorum: Ok(Quorum {
                leader: 2,
                leader_epoch: 7,
                high_watermark: Some(500),
                members: vec![member(1, 500), member(2, 500), member(3, 380)],
            }),
            disks: [(
                1,
                DiskSpace {
                    used: 1_500_000,
                    free: Some(10 << 30),
                    total: Some(40 << 30),
                },
            )]
            .into(),
        }),
    );
    let screen = text(&render(&s, 160, 30));
    assert!(screen.contains("KRaft leader 2 epoch 7"), "{screen}");
    assert!(screen.contains("10.0 GiB of 40.0 GiB"), "{screen}");
    assert!(screen.contains("voter, 120 behind"), "{screen}");
    assert!(screen.contains("leader"), "{screen}");

    // A leader just elected has no high watermark yet: how far a voter trails is not known.
    tick(&mut s);
    event(
        &mut s,
        Event::ClusterHealth(ClusterHealth {
            quorum: Ok(Quorum {
                leader: 2,
                leader_epoch: 8,
                high_watermark: None,
                members: vec![member(1, 500), member(2, 500), member(3, 380)],
            }),
            disks: Default::default(),
        }),
    );
    let screen = text(&render(&s, 160, 30));
    assert!(screen.contains("voter, lag unknown"), "{screen}");
    assert!(!screen.contains("behind"), "{screen}");
}

#[test]
fn a_brokers_dynamic_config_is_edited_in_place_and_a_static_one_refused() {
    let mut s = brokers_state();
    // The harness's configs are all read-only (set in the file).
    act(&mut s, Action::EditConfig);
    assert!(s.prompt.is_none());
    event(
        &mut s,
        Event::BrokerConfigs {
            broker: 1,
            result: Ok(vec![kview::kafka::ConfigEntry {
                name: "log.cleaner.threads".into(),
                value: Some("1".into()),
                is_default: true,
                is_sensitive: false,
                read_only: false,
                source: "default",
            }]),
        },
    );
    act(&mut s, Action::EditConfig);
    let prompt = s.prompt.as_ref().expect("a prompt for the new value");
    assert_eq!(prompt.target.as_deref(), Some("log.cleaner.threads"));
    act(&mut s, Action::Backspace);
    act(&mut s, Action::Insert('2'));
    assert_eq!(
        act(&mut s, Action::Submit),
        vec![Command::Admin(AdminChange::SetBrokerConfig {
            broker: 1,
            key: "log.cleaner.threads".into(),
            value: Some("2".into()),
        })]
    );
}
