//! Moving around: the command line, jump keys, Esc, filters, `:ctx`.

use crate::harness::*;

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
    for c in "to".chars() {
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
    act(&mut s, Action::ClearToLineStart);
    act(&mut s, Action::Insert('t'));
    act(&mut s, Action::Complete);
    let prompt = s.prompt.as_ref().unwrap();
    assert_eq!(
        prompt.input.text(),
        "t",
        "topic, topics and transactions share only t"
    );
    assert_eq!(prompt.hint.as_deref(), Some("topic  topics  transactions"));
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
            masking: Default::default(),
            connect: Vec::new(),
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
