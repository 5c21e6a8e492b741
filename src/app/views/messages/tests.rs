use super::*;
use crate::kafka::TimestampType;
use bytes::Bytes;

fn msg(offset: i64, value: &str) -> Message {
    Message {
        partition: 0,
        offset,
        timestamp_ms: 0,
        timestamp_type: TimestampType::CreateTime,
        key: None,
        value: Some(Bytes::copy_from_slice(value.as_bytes())),
        headers: vec![],
        producer_id: -1,
        txn: crate::kafka::records::TxnMark::None,
    }
}

#[test]
fn the_ring_is_bounded_and_counts_what_it_dropped() {
    let mut v = MessagesView::default();
    let batch: Vec<Message> = (0..RING_RECORDS as i64 + 10).map(|o| msg(o, "x")).collect();
    v.push(
        batch,
        Some(FixedOffset::east_opt(0).unwrap()),
        10,
        &SchemaBook::default(),
        Instant::now(),
    );
    assert_eq!(v.len(), RING_RECORDS);
    assert_eq!(v.dropped, 10);
    assert_eq!(v.visible_rows().next().unwrap().message.offset, 10);
}

#[test]
fn filters_by_substring_and_regex_and_keeps_the_selection() {
    let mut v = MessagesView::default();
    v.push(
        vec![
            msg(0, "apple"),
            msg(1, "banana"),
            msg(2, "cherry"),
            msg(3, "apricot"),
        ],
        None,
        10,
        &SchemaBook::default(),
        Instant::now(),
    );
    v.list.select(1, 4, 10);
    v.set_filter(Filter::parse("ap").unwrap(), 10);
    assert_eq!(v.visible_len(), 2);
    assert_eq!(v.selected_row().unwrap().message.offset, 3);
    v.set_filter(Filter::parse("/^(b|c)/").unwrap(), 10);
    assert_eq!(
        v.visible_rows()
            .map(|r| r.message.offset)
            .collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(Filter::parse("/(/").unwrap_err().contains("invalid regex"));
    v.set_filter(None, 10);
    assert_eq!(v.visible_len(), 4);
}

#[test]
fn following_keeps_the_newest_row_selected() {
    let mut v = MessagesView {
        follow: true,
        ..MessagesView::default()
    };
    v.push(
        vec![msg(0, "a"), msg(1, "b")],
        None,
        10,
        &SchemaBook::default(),
        Instant::now(),
    );
    assert_eq!(v.list.selected, 1);
    v.push(
        vec![msg(2, "c")],
        None,
        10,
        &SchemaBook::default(),
        Instant::now(),
    );
    assert_eq!(v.list.selected, 2);
    v.list.select(0, 3, 10);
    v.push(
        vec![msg(3, "d")],
        None,
        10,
        &SchemaBook::default(),
        Instant::now(),
    );
    assert_eq!(v.list.selected, 0, "a user who scrolled up stays put");
}

#[test]
fn detail_escapes_and_formats() {
    let mut v = MessagesView::default();
    let mut m = msg(0, "{\"a\":1}");
    m.key = Some(Bytes::from_static(b"\x1b[2Jk"));
    v.push(
        vec![m, msg(1, "line1\n\x1b[31mred")],
        None,
        10,
        &SchemaBook::default(),
        Instant::now(),
    );
    v.list.select(0, 2, 10);
    v.refresh_detail();
    let text: Vec<String> = v.detail_lines().iter().map(|l| l.to_string()).collect();
    assert!(text.iter().any(|l| l == "key: \\x1b[2Jk"));
    assert!(text.iter().any(|l| l == "  \"a\": 1"));
    v.list.select(1, 2, 10);
    v.refresh_detail();
    let text: Vec<String> = v.detail_lines().iter().map(|l| l.to_string()).collect();
    assert!(text.iter().any(|l| l == "\\x1b[31mred"));
    assert!(text.iter().all(|l| !l.contains('\x1b')));
}

fn view_of(values: &[&str]) -> MessagesView {
    let mut v = MessagesView::default();
    let batch = values
        .iter()
        .enumerate()
        .map(|(i, s)| msg(i as i64, s))
        .collect();
    v.push(batch, None, 10, &SchemaBook::default(), Instant::now());
    v
}

fn marked_offsets(v: &MessagesView) -> Vec<i64> {
    v.marked_rows().map(|r| r.message.offset).collect()
}

#[test]
fn space_marks_one_record_and_v_marks_the_range_from_it_among_those_shown() {
    let mut v = view_of(&["a1", "b", "a2", "a3", "b", "a4"]);
    v.list.select(0, 6, 10);
    assert_eq!(v.toggle_mark(), Some(true));
    v.set_filter(Filter::parse("a").unwrap(), 10);
    // Shown: 0, 2, 3, 5; from the anchor (0) to offset 3, the hidden 1 left alone.
    v.list.select(2, 4, 10);
    assert_eq!(v.mark_range(), 2);
    assert_eq!(marked_offsets(&v), vec![0, 2, 3]);
    // Space on a marked record unmarks it.
    v.list.select(1, 4, 10);
    assert_eq!(v.toggle_mark(), Some(false));
    assert_eq!(marked_offsets(&v), vec![0, 3]);
    assert_eq!(v.clear_marks(), 2);
    assert_eq!(v.marked_len(), 0);
}

#[test]
fn a_record_leaving_the_ring_takes_its_mark_and_a_new_topic_starts_unmarked() {
    let mut v = view_of(&["x", "y"]);
    v.list.select(0, 2, 10);
    v.toggle_mark();
    v.list.select(1, 2, 10);
    v.toggle_mark();
    let more = (2..RING_RECORDS as i64 + 1).map(|o| msg(o, "z")).collect();
    v.push(more, None, 10, &SchemaBook::default(), Instant::now());
    assert_eq!(marked_offsets(&v), vec![1], "offset 0 left the ring");
    assert_eq!(v.marked_len(), 1);
    v.reset(1, "", None, StartAt::Beginning, false);
    assert_eq!(
        v.marked_len(),
        1,
        "the same topic read again keeps its marks"
    );
    v.reset(2, "other", None, StartAt::Beginning, false);
    assert_eq!(v.marked_len(), 0);
}
