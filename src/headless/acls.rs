//! `kview acls`: who may do what, and granting or taking it back.

use std::io::Write;

use anyhow::{Result, bail};

use super::table::write_table;
use crate::cli::{AclChangeArgs, AclResourceArgs, AclsAction, AclsArgs};
use crate::kafka::KafkaClient;
use crate::kafka::acl::{
    self, Acl, AclFilter, NO_AUTHORIZER, PatternKind, Resource, ResourceKind, consumer, producer,
};

pub async fn run(client: &KafkaClient, args: &AclsArgs, out: &mut impl Write) -> Result<()> {
    match &args.action {
        None => list(client, args, out).await,
        Some(AclsAction::Add(change)) => {
            let acls = planned(change)?;
            client.create_acls(&acls).await?;
            for a in &acls {
                writeln!(out, "added: {}", a.sentence())?;
            }
            Ok(())
        }
        Some(AclsAction::Remove(change)) => {
            let acls = planned(change)?;
            let filters: Vec<AclFilter> = acls.iter().map(AclFilter::exact).collect();
            let removed = client.delete_acls(&filters).await?;
            if removed.is_empty() {
                writeln!(out, "no such ACL; nothing removed")?;
            }
            for a in &removed {
                writeln!(out, "removed: {}", a.sentence())?;
            }
            Ok(())
        }
    }
}

async fn list(client: &KafkaClient, args: &AclsArgs, out: &mut impl Write) -> Result<()> {
    let mut filter = AclFilter {
        principal: args.principal.as_deref().map(acl::principal),
        ..AclFilter::default()
    };
    if let Some(resource) = resource(&args.resource)? {
        filter.kind = Some(resource.kind);
        filter.name = Some(resource.name);
        // A name lists what applies to it: its own ACLs, `*` and matching prefixes.
        filter.pattern = args.resource.prefixed.then_some(PatternKind::Prefixed);
        filter.matching = !args.resource.prefixed;
    }
    let Some(acls) = client.acls(&filter).await? else {
        if args.json {
            writeln!(
                out,
                "{}",
                serde_json::json!({"authorizer": false, "acls": []})
            )?;
        } else {
            writeln!(out, "{NO_AUTHORIZER}")?;
        }
        return Ok(());
    };
    if args.json {
        let json = serde_json::json!({"authorizer": true, "acls": acls});
        writeln!(out, "{json}")?;
        return Ok(());
    }
    if acls.is_empty() {
        writeln!(out, "no ACLs match")?;
        return Ok(());
    }
    write_table(out, &HEADER, acls.iter().map(row).collect())
}

const HEADER: [&str; 7] = [
    "PRINCIPAL",
    "PERMISSION",
    "OPERATION",
    "RESOURCE",
    "NAME",
    "PATTERN",
    "HOST",
];

fn row(a: &Acl) -> Vec<String> {
    vec![
        a.principal.clone(),
        if a.allow { "ALLOW" } else { "DENY" }.into(),
        a.operation.name().into(),
        a.resource.kind.name().into(),
        a.resource.name.clone(),
        match a.resource.pattern {
            PatternKind::Literal => "literal",
            PatternKind::Prefixed => "prefixed",
        }
        .into(),
        a.host.clone(),
    ]
}

/// The one resource the options name, if any.
fn resource(args: &AclResourceArgs) -> Result<Option<Resource>> {
    let pattern = if args.prefixed {
        PatternKind::Prefixed
    } else {
        PatternKind::Literal
    };
    let named = [
        (ResourceKind::Topic, args.topic.as_deref()),
        (ResourceKind::Group, args.group.as_deref()),
        (
            ResourceKind::TransactionalId,
            args.transactional_id.as_deref(),
        ),
    ]
    .into_iter()
    .filter_map(|(kind, name)| Some(Resource::new(kind, name?, pattern)))
    .collect::<Vec<_>>();
    if named.len() > 1 {
        bail!("name one resource: --topic, --group or --transactional-id");
    }
    match named.into_iter().next() {
        Some(r) => Ok(Some(r)),
        None if args.kafka_cluster => Ok(Some(Resource::cluster())),
        None if args.prefixed => bail!("--prefixed needs a --topic, --group or --transactional-id"),
        None => Ok(None),
    }
}

/// The ACLs an `add` or `remove` names: a preset's, or each --operation on the resource.
fn planned(change: &AclChangeArgs) -> Result<Vec<Acl>> {
    let principal = acl::principal(&change.principal);
    let r = &change.resource;
    let pattern = if r.prefixed {
        PatternKind::Prefixed
    } else {
        PatternKind::Literal
    };
    let pairs = if change.consumer {
        let (Some(topic), Some(group)) = (&r.topic, &r.group) else {
            bail!("--consumer needs --topic and --group");
        };
        consumer(
            &Resource::new(ResourceKind::Topic, topic, pattern),
            &Resource::new(ResourceKind::Group, group, pattern),
        )
    } else if change.producer {
        let Some(topic) = &r.topic else {
            bail!("--producer needs --topic");
        };
        let id = r
            .transactional_id
            .as_deref()
            .map(|id| Resource::new(ResourceKind::TransactionalId, id, pattern));
        producer(
            &Resource::new(ResourceKind::Topic, topic, pattern),
            change.idempotent,
            id.as_ref(),
        )
    } else {
        let Some(resource) = resource(r)? else {
            bail!(
                "name what the ACL is on: --topic, --group, --kafka-cluster or --transactional-id"
            );
        };
        if change.operations.is_empty() {
            bail!("name the operations (--operation Read ...), or use --consumer or --producer");
        }
        change
            .operations
            .iter()
            .map(|op| (resource.clone(), *op))
            .collect()
    };
    Ok(pairs
        .into_iter()
        .map(|(resource, operation)| Acl {
            resource,
            principal: principal.clone(),
            host: change.host.clone(),
            operation,
            allow: !change.deny,
        })
        .collect())
}
