//! Consumer groups: statuses, resets, deletion.

use crate::harness::*;

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
fn enter_on_a_group_partition_reads_what_the_group_reads_next() {
    let mut s = groups_state();
    type_command(&mut s, "group billing");
    let first = s.groups.report("billing").unwrap().partitions[0].clone();
    let commands = act(&mut s, Action::Open);
    // The browser covers the group: the poller need not keep it fresh meanwhile.
    let [Command::Browse(request), Command::WatchGroup(None)] = commands.as_slice() else {
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

/// The poller keeps the open group fresh between polls of every group: the update step says
/// which group is open, and a poll of that group alone changes its report and trend only.
#[test]
fn the_open_group_is_watched_and_its_own_poll_changes_it_alone() {
    use kview::collect::groups::OwnedGroupSnapshot;
    use kview::kafka::CommittedOffset;
    use std::collections::HashMap;

    let mut s = groups_state();
    assert_eq!(s.groups.selected(), Some("billing"));
    assert!(act(&mut s, Action::Open).contains(&Command::WatchGroup(Some("billing".into()))));
    let audit = s.groups.report("audit").unwrap().clone();
    let points = s.groups.lag_history["billing"].len();
    let at = |partition: i32, offset: i64| CommittedOffset {
        topic: "orders".into(),
        partition,
        offset,
        metadata: None,
    };
    // billing has caught up on both partitions since the last poll of every group.
    let snapshot = OwnedGroupSnapshot {
        group: "billing".into(),
        kind: GroupKind::Classic,
        share_starts: Vec::new(),
        description: None,
        committed: vec![at(0, 400), at(1, 90)],
        high_watermarks: HashMap::from([
            (("orders".to_string(), 0), 400),
            (("orders".to_string(), 1), 90),
        ]),
        exact_times: HashMap::new(),
        stable_offsets: HashMap::new(),
    };
    event(
        &mut s,
        Event::OpenGroup {
            at_ms: 7_000,
            snapshot: Box::new(snapshot),
        },
    );
    assert_eq!(s.groups.report("billing").unwrap().total_lag, Some(0));
    assert_eq!(s.groups.lag_history["billing"].len(), points + 1);
    assert_eq!(s.groups.report("audit"), Some(&audit));
    // Leaving the group says so; moving in the list opens none.
    assert_eq!(act(&mut s, Action::Back), vec![Command::WatchGroup(None)]);
    assert!(act(&mut s, Action::Up).is_empty());
}

/// When every group is polled less often than every 5 s, the table says how often.
#[test]
fn the_groups_table_says_when_its_groups_are_polled_less_often() {
    let mut s = groups_state();
    assert!(!text(&render(&s, 120, 30)).contains("polled every"));
    let snapshots = Vec::new();
    event(
        &mut s,
        Event::Groups {
            at_ms: 9_000,
            snapshots,
            every_when_slower: Some(std::time::Duration::from_secs(11)),
        },
    );
    let screen = text(&render(&s, 120, 30));
    assert!(screen.contains("polled every 11s"), "{screen}");
}
