//! `:acls`: the cluster's ACLs as a table, filtered as typed; a cluster without an authorizer
//! says so in one line.

use crate::harness::*;
use kview::kafka::acl::{Acl, Operation, PatternKind, Resource, ResourceKind, principal};

pub fn grants() -> Vec<Acl> {
    let acl = |who: &str, op, kind, name: &str, allow| Acl {
        resource: Resource::new(kind, name, PatternKind::Literal),
        principal: principal(who),
        host: "*".into(),
        operation: op,
        allow,
    };
    vec![
        acl("bob", Operation::Read, ResourceKind::Topic, "orders", true),
        acl("bob", Operation::Read, ResourceKind::Group, "billing", true),
        acl(
            "mallory",
            Operation::Write,
            ResourceKind::Topic,
            "orders",
            false,
        ),
    ]
}

#[test]
fn acls_are_read_when_the_view_opens_and_filtered_as_typed() {
    let mut s = base_state();
    let commands = type_command(&mut s, "acls");
    assert_eq!(commands, vec![Command::LoadAcls]);
    event(&mut s, Event::Acls(Ok(Some(grants()))));
    let screen = text(&render(&s, 100, 20));
    assert!(screen.contains("ACLs (3)"), "{screen}");
    for who in ["User:bob", "User:mallory"] {
        assert!(screen.contains(who), "{screen}");
    }
    assert!(screen.contains("DENY"), "{screen}");

    act(&mut s, Action::OpenFilter);
    for c in "billing".chars() {
        act(&mut s, Action::Insert(c));
    }
    // Applied as typed, before Enter.
    let screen = text(&render(&s, 100, 20));
    assert!(screen.contains("ACLs (1 matching \"billing\")"), "{screen}");
    assert!(!screen.contains("mallory"), "{screen}");
}

#[test]
fn a_cluster_without_an_authorizer_says_so_instead_of_an_empty_list() {
    let mut s = base_state();
    type_command(&mut s, "acls");
    event(&mut s, Event::Acls(Ok(None)));
    let screen = text(&render(&s, 100, 20));
    assert!(
        screen.contains("this cluster has no authorizer"),
        "{screen}"
    );
    assert!(!screen.contains("PRINCIPAL"), "{screen}");
}
