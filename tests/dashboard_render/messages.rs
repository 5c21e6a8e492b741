//! The message browser: reading, searching, times, the detail pane.

use crate::harness::*;

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
