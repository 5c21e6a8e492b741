//! Kafka's ACLs as people write them: `User:bob may Read topic orders from *`, the protocol's
//! codes kept to this module. Presets group what a consumer or a producer needs, as Kafka's
//! own `kafka-acls.sh --consumer` / `--producer` do.

use serde::Serialize;

/// What kview says where a cluster has no authorizer (its ACLs would not be checked).
pub const NO_AUTHORIZER: &str =
    "this cluster has no authorizer: every client may do everything (ACLs are not checked)";

/// The kinds of resource an ACL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceKind {
    Topic,
    Group,
    Cluster,
    TransactionalId,
    DelegationToken,
    User,
}

impl ResourceKind {
    const ALL: [(ResourceKind, i8, &'static str); 6] = [
        (ResourceKind::Topic, 2, "topic"),
        (ResourceKind::Group, 3, "group"),
        (ResourceKind::Cluster, 4, "cluster"),
        (ResourceKind::TransactionalId, 5, "transactional-id"),
        (ResourceKind::DelegationToken, 6, "delegation-token"),
        (ResourceKind::User, 7, "user"),
    ];

    pub fn code(self) -> i8 {
        Self::ALL
            .iter()
            .find(|(k, ..)| *k == self)
            .map_or(0, |e| e.1)
    }

    pub fn from_code(code: i8) -> Option<Self> {
        Self::ALL.iter().find(|e| e.1 == code).map(|e| e.0)
    }

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(k, ..)| *k == self)
            .map_or("?", |e| e.2)
    }
}

/// Literal names one resource; prefixed every resource whose name starts with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PatternKind {
    Literal,
    Prefixed,
}

impl PatternKind {
    pub fn code(self) -> i8 {
        match self {
            PatternKind::Literal => 3,
            PatternKind::Prefixed => 4,
        }
    }

    pub fn from_code(code: i8) -> Option<Self> {
        match code {
            3 => Some(PatternKind::Literal),
            4 => Some(PatternKind::Prefixed),
            _ => None,
        }
    }
}

/// Kafka's ACL operations, named as its tools name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Operation {
    All,
    Read,
    Write,
    Create,
    Delete,
    Alter,
    Describe,
    ClusterAction,
    DescribeConfigs,
    AlterConfigs,
    IdempotentWrite,
    CreateTokens,
    DescribeTokens,
    TwoPhaseCommit,
}

impl Operation {
    const ALL: [(Operation, i8, &'static str); 14] = [
        (Operation::All, 2, "All"),
        (Operation::Read, 3, "Read"),
        (Operation::Write, 4, "Write"),
        (Operation::Create, 5, "Create"),
        (Operation::Delete, 6, "Delete"),
        (Operation::Alter, 7, "Alter"),
        (Operation::Describe, 8, "Describe"),
        (Operation::ClusterAction, 9, "ClusterAction"),
        (Operation::DescribeConfigs, 10, "DescribeConfigs"),
        (Operation::AlterConfigs, 11, "AlterConfigs"),
        (Operation::IdempotentWrite, 12, "IdempotentWrite"),
        (Operation::CreateTokens, 13, "CreateTokens"),
        (Operation::DescribeTokens, 14, "DescribeTokens"),
        (Operation::TwoPhaseCommit, 15, "TwoPhaseCommit"),
    ];

    pub fn code(self) -> i8 {
        Self::ALL
            .iter()
            .find(|(o, ..)| *o == self)
            .map_or(0, |e| e.1)
    }

    pub fn from_code(code: i8) -> Option<Self> {
        Self::ALL.iter().find(|e| e.1 == code).map(|e| e.0)
    }

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(o, ..)| *o == self)
            .map_or("?", |e| e.2)
    }

    /// `read`, `Read`, `idempotent-write`, `IDEMPOTENT_WRITE` all name the same operation.
    pub fn parse(text: &str) -> Result<Self, String> {
        let plain: String = text
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        Self::ALL
            .iter()
            .find(|e| e.2.to_ascii_lowercase() == plain)
            .map(|e| e.0)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|e| e.2).collect();
                format!("unknown operation {text:?} (one of {})", names.join(", "))
            })
    }
}

/// The resource an ACL is about; the cluster's name is always `kafka-cluster`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Resource {
    pub kind: ResourceKind,
    pub name: String,
    pub pattern: PatternKind,
}

impl Resource {
    pub fn new(kind: ResourceKind, name: &str, pattern: PatternKind) -> Self {
        Resource {
            kind,
            name: name.to_owned(),
            pattern,
        }
    }

    pub fn cluster() -> Self {
        Resource::new(ResourceKind::Cluster, "kafka-cluster", PatternKind::Literal)
    }

    /// `topic orders`, `topics starting orders.`, `cluster`.
    pub fn describe(&self) -> String {
        match (self.kind, self.pattern) {
            (ResourceKind::Cluster, _) => "cluster".into(),
            (kind, _) if self.name == "*" => format!("every {}", kind.name()),
            (kind, PatternKind::Literal) => format!("{} {}", kind.name(), self.name),
            (kind, PatternKind::Prefixed) => {
                format!("{}s starting {}", kind.name(), self.name)
            }
        }
    }
}

/// One ACL: a principal allowed (or denied) an operation on a resource from a host.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Acl {
    pub resource: Resource,
    pub principal: String,
    pub host: String,
    pub operation: Operation,
    pub allow: bool,
}

impl Acl {
    /// "User:bob may Read topic orders (from any host)".
    pub fn sentence(&self) -> String {
        let verb = if self.allow { "may" } else { "may not" };
        let from = if self.host == "*" {
            String::new()
        } else {
            format!(" from {}", self.host)
        };
        format!(
            "{} {verb} {} {}{from}",
            self.principal,
            self.operation.name(),
            self.resource.describe()
        )
    }
}

/// Which ACLs to list or remove: every field left `None` matches anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AclFilter {
    pub kind: Option<ResourceKind>,
    pub name: Option<String>,
    pub pattern: Option<PatternKind>,
    /// With `name`: every ACL that applies to that name (its own, `*`'s and prefixes').
    pub matching: bool,
    pub principal: Option<String>,
    pub host: Option<String>,
    pub operation: Option<Operation>,
    pub allow: Option<bool>,
}

impl AclFilter {
    /// Exactly this ACL.
    pub fn exact(acl: &Acl) -> Self {
        AclFilter {
            kind: Some(acl.resource.kind),
            name: Some(acl.resource.name.clone()),
            pattern: Some(acl.resource.pattern),
            matching: false,
            principal: Some(acl.principal.clone()),
            host: Some(acl.host.clone()),
            operation: Some(acl.operation),
            allow: Some(acl.allow),
        }
    }
}

/// `bob` means `User:bob`; a principal with a type (`User:`, `Group:`) stays as written.
pub fn principal(text: &str) -> String {
    if text.contains(':') {
        text.to_owned()
    } else {
        format!("User:{text}")
    }
}

/// The principals an ACL list lets do `operation` (or All), short (`bob` for `User:bob`), none
/// of them denied it; `*` when every principal may.
pub fn who_may(acls: &[Acl], operation: Operation) -> Vec<String> {
    let applies = |a: &&Acl| a.operation == operation || a.operation == Operation::All;
    let denied: Vec<&str> = acls
        .iter()
        .filter(applies)
        .filter(|a| !a.allow && a.host == "*")
        .map(|a| a.principal.as_str())
        .collect();
    let mut out: Vec<String> = acls
        .iter()
        .filter(applies)
        .filter(|a| {
            a.allow && !denied.contains(&a.principal.as_str()) && !denied.contains(&"User:*")
        })
        .map(|a| {
            a.principal
                .strip_prefix("User:")
                .unwrap_or(&a.principal)
                .to_owned()
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// What a consumer of `topic` in `group` needs: Read and Describe on the topic, Read on the
/// group (as `kafka-acls.sh --consumer`).
pub fn consumer(topic: &Resource, group: &Resource) -> Vec<(Resource, Operation)> {
    vec![
        (topic.clone(), Operation::Read),
        (topic.clone(), Operation::Describe),
        (group.clone(), Operation::Read),
    ]
}

/// What a producer to `topic` needs: Write, Describe and Create on the topic; with a
/// transactional id, Write and Describe on it; idempotent, IdempotentWrite on the cluster
/// (as `kafka-acls.sh --producer`).
pub fn producer(
    topic: &Resource,
    idempotent: bool,
    transactional_id: Option<&Resource>,
) -> Vec<(Resource, Operation)> {
    let mut out = vec![
        (topic.clone(), Operation::Write),
        (topic.clone(), Operation::Describe),
        (topic.clone(), Operation::Create),
    ];
    if let Some(id) = transactional_id {
        out.push((id.clone(), Operation::Write));
        out.push((id.clone(), Operation::Describe));
    }
    if idempotent {
        out.push((Resource::cluster(), Operation::IdempotentWrite));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_go_both_ways() {
        for (kind, code, _) in ResourceKind::ALL {
            assert_eq!(ResourceKind::from_code(code), Some(kind));
            assert_eq!(kind.code(), code);
        }
        for (op, code, name) in Operation::ALL {
            assert_eq!(Operation::from_code(code), Some(op));
            assert_eq!(Operation::parse(name), Ok(op));
        }
        assert_eq!(
            Operation::parse("IDEMPOTENT_WRITE"),
            Ok(Operation::IdempotentWrite)
        );
        assert_eq!(
            Operation::parse("describe-configs"),
            Ok(Operation::DescribeConfigs)
        );
        assert!(
            Operation::parse("Peek")
                .unwrap_err()
                .contains("one of All, Read")
        );
        assert_eq!(
            PatternKind::from_code(PatternKind::Prefixed.code()),
            Some(PatternKind::Prefixed)
        );
    }

    #[test]
    fn presets_are_what_kafkas_tool_grants() {
        let topic = Resource::new(ResourceKind::Topic, "orders", PatternKind::Literal);
        let group = Resource::new(ResourceKind::Group, "billing", PatternKind::Literal);
        let ops: Vec<_> = consumer(&topic, &group)
            .into_iter()
            .map(|(r, o)| format!("{} {}", o.name(), r.describe()))
            .collect();
        assert_eq!(
            ops,
            [
                "Read topic orders",
                "Describe topic orders",
                "Read group billing"
            ]
        );
        let txn = Resource::new(ResourceKind::TransactionalId, "tx", PatternKind::Literal);
        let ops: Vec<_> = producer(&topic, true, Some(&txn))
            .into_iter()
            .map(|(r, o)| format!("{} {}", o.name(), r.describe()))
            .collect();
        assert_eq!(
            ops,
            [
                "Write topic orders",
                "Describe topic orders",
                "Create topic orders",
                "Write transactional-id tx",
                "Describe transactional-id tx",
                "IdempotentWrite cluster",
            ]
        );
    }

    #[test]
    fn who_may_counts_all_and_leaves_the_denied_out() {
        let acl = |who: &str, op, allow| Acl {
            resource: Resource::new(ResourceKind::Topic, "orders", PatternKind::Literal),
            principal: principal(who),
            host: "*".into(),
            operation: op,
            allow,
        };
        let acls = [
            acl("bob", Operation::Read, true),
            acl("ops", Operation::All, true),
            acl("mallory", Operation::Read, true),
            acl("mallory", Operation::Read, false),
            acl("app", Operation::Write, true),
        ];
        assert_eq!(who_may(&acls, Operation::Read), ["bob", "ops"]);
        assert_eq!(who_may(&acls, Operation::Write), ["app", "ops"]);
    }

    #[test]
    fn sentences_read_as_people_say_them() {
        let acl = Acl {
            resource: Resource::new(ResourceKind::Topic, "orders.", PatternKind::Prefixed),
            principal: principal("bob"),
            host: "*".into(),
            operation: Operation::Read,
            allow: true,
        };
        assert_eq!(acl.sentence(), "User:bob may Read topics starting orders.");
        let deny = Acl {
            allow: false,
            host: "10.0.0.1".into(),
            resource: Resource::new(ResourceKind::Group, "*", PatternKind::Literal),
            ..acl
        };
        assert_eq!(
            deny.sentence(),
            "User:bob may not Read every group from 10.0.0.1"
        );
        assert_eq!(principal("User:alice"), "User:alice");
    }
}
