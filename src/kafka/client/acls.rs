//! ACLs: DescribeAcls, CreateAcls, DeleteAcls (kafka-protocol; rskafka has no admin API for
//! them). Any broker answers; the controller applies what one changes.

use kafka_protocol::messages::create_acls_request::AclCreation;
use kafka_protocol::messages::delete_acls_request::DeleteAclsFilter;
use kafka_protocol::messages::{CreateAclsRequest, DeleteAclsRequest, DescribeAclsRequest};
use kafka_protocol::protocol::StrBytes;

use super::KafkaClient;
use crate::kafka::acl::{Acl, AclFilter, Operation, PatternKind, Resource, ResourceKind};
use crate::kafka::error::{KafkaError, Result};

/// SECURITY_DISABLED: the cluster has no authorizer.
const SECURITY_DISABLED: i16 = 54;

// The protocol's "any" for each field of a filter.
const ANY: i8 = 1;

impl KafkaClient {
    /// The ACLs `filter` matches, sorted; `None` when the cluster has no authorizer.
    pub async fn acls(&self, filter: &AclFilter) -> Result<Option<Vec<Acl>>> {
        let request = DescribeAclsRequest::default()
            .with_resource_type_filter(filter.kind.map_or(ANY, ResourceKind::code))
            .with_resource_name_filter(filter.name.as_deref().map(text))
            .with_pattern_type_filter(pattern_filter(filter))
            .with_principal_filter(filter.principal.as_deref().map(text))
            .with_host_filter(filter.host.as_deref().map(text))
            .with_operation(filter.operation.map_or(ANY, Operation::code))
            .with_permission_type(permission_filter(filter.allow));
        let response = self.call_any(&request, None).await?;
        if response.error_code == SECURITY_DISABLED {
            return Ok(None);
        }
        KafkaError::check(
            response.error_code,
            response.error_message.as_deref(),
            || "list ACLs".into(),
        )
        .map_err(|e| self.denied(e, "Describe"))?;
        let mut out = Vec::new();
        for r in &response.resources {
            let (Some(kind), Some(pattern)) = (
                ResourceKind::from_code(r.resource_type),
                PatternKind::from_code(r.pattern_type),
            ) else {
                continue;
            };
            let resource = Resource::new(kind, &r.resource_name, pattern);
            for a in &r.acls {
                let Some(operation) = Operation::from_code(a.operation) else {
                    continue;
                };
                out.push(Acl {
                    resource: resource.clone(),
                    principal: a.principal.to_string(),
                    host: a.host.to_string(),
                    operation,
                    allow: a.permission_type == 3,
                });
            }
        }
        out.sort();
        Ok(Some(out))
    }

    /// Adds ACLs; ones that exist already are left as they are.
    pub async fn create_acls(&self, acls: &[Acl]) -> Result<()> {
        self.check_writable("add ACLs")?;
        let creations = acls
            .iter()
            .map(|a| {
                AclCreation::default()
                    .with_resource_type(a.resource.kind.code())
                    .with_resource_name(text(&a.resource.name))
                    .with_resource_pattern_type(a.resource.pattern.code())
                    .with_principal(text(&a.principal))
                    .with_host(text(&a.host))
                    .with_operation(a.operation.code())
                    .with_permission_type(if a.allow { 3 } else { 2 })
            })
            .collect();
        let request = CreateAclsRequest::default().with_creations(creations);
        let response = self.call_any(&request, None).await?;
        for (r, acl) in response.results.iter().zip(acls) {
            KafkaError::check(r.error_code, r.error_message.as_deref(), || {
                format!("add ACL ({})", acl.sentence())
            })
            .map_err(|e| self.denied(e, "Alter"))?;
        }
        Ok(())
    }

    /// Removes every ACL one of `filters` matches; returns what was removed.
    pub async fn delete_acls(&self, filters: &[AclFilter]) -> Result<Vec<Acl>> {
        self.check_writable("remove ACLs")?;
        let request = DeleteAclsRequest::default().with_filters(
            filters
                .iter()
                .map(|f| {
                    DeleteAclsFilter::default()
                        .with_resource_type_filter(f.kind.map_or(ANY, ResourceKind::code))
                        .with_resource_name_filter(f.name.as_deref().map(text))
                        .with_pattern_type_filter(pattern_filter(f))
                        .with_principal_filter(f.principal.as_deref().map(text))
                        .with_host_filter(f.host.as_deref().map(text))
                        .with_operation(f.operation.map_or(ANY, Operation::code))
                        .with_permission_type(permission_filter(f.allow))
                })
                .collect(),
        );
        let response = self.call_any(&request, None).await?;
        let mut removed = Vec::new();
        for r in &response.filter_results {
            KafkaError::check(r.error_code, r.error_message.as_deref(), || {
                "remove ACLs".into()
            })
            .map_err(|e| self.denied(e, "Alter"))?;
            for m in &r.matching_acls {
                let (Some(kind), Some(pattern), Some(operation)) = (
                    ResourceKind::from_code(m.resource_type),
                    PatternKind::from_code(m.pattern_type),
                    Operation::from_code(m.operation),
                ) else {
                    continue;
                };
                removed.push(Acl {
                    resource: Resource::new(kind, &m.resource_name, pattern),
                    principal: m.principal.to_string(),
                    host: m.host.to_string(),
                    operation,
                    allow: m.permission_type == 3,
                });
            }
        }
        removed.sort();
        removed.dedup();
        Ok(removed)
    }

    /// A cluster-level refusal worded as the operation on the cluster that was denied.
    pub(crate) fn denied(&self, e: KafkaError, operation: &'static str) -> KafkaError {
        e.denied_to(&self.principal(), operation, || "cluster".into())
    }
}

fn text(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

/// 1 any, 2 match (what applies to a name), 3 literal, 4 prefixed.
fn pattern_filter(filter: &AclFilter) -> i8 {
    match filter.pattern {
        Some(p) => p.code(),
        None if filter.matching => 2,
        None => ANY,
    }
}

/// 1 any, 2 deny, 3 allow.
fn permission_filter(allow: Option<bool>) -> i8 {
    match allow {
        None => ANY,
        Some(false) => 2,
        Some(true) => 3,
    }
}
