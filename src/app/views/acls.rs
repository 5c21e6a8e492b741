//! `:acls`: who may do what on the cluster, filtered as typed (`/`). A cluster without an
//! authorizer says so instead of showing an empty list. Read again every few seconds while
//! shown.

use super::super::action::Action;
use super::super::event::Command;
use super::super::list::ListSelection;
use super::super::prompt::{self, PromptKind};
use super::super::state::State;
use super::View;
use crate::kafka::acl::Acl;

/// The ACLs as read: `None` inside when the cluster has no authorizer.
pub type AclsRead = Result<Option<Vec<Acl>>, String>;

#[derive(Debug, Clone, Default)]
pub struct AclsView {
    pub snapshot: Option<AclsRead>,
    pub loading: bool,
    pub list: ListSelection,
    /// Text every shown ACL holds (principal, operation, resource, name or host), any case.
    pub filter: String,
}

impl AclsView {
    /// The ACLs the filter keeps, in their order.
    pub fn shown(&self) -> Vec<&Acl> {
        let Some(Ok(Some(acls))) = &self.snapshot else {
            return Vec::new();
        };
        let wanted = self.filter.to_lowercase();
        acls.iter()
            .filter(|a| wanted.is_empty() || matches(a, &wanted))
            .collect()
    }
}

fn matches(acl: &Acl, wanted: &str) -> bool {
    [
        acl.principal.as_str(),
        acl.operation.name(),
        acl.resource.kind.name(),
        acl.resource.name.as_str(),
        acl.host.as_str(),
        if acl.allow { "allow" } else { "deny" },
    ]
    .iter()
    .any(|field| field.to_lowercase().contains(wanted))
}

pub fn open(state: &mut State) -> Vec<Command> {
    state.views = vec![View::Overview, View::Acls];
    state.acls.loading = true;
    vec![Command::LoadAcls]
}

/// Read again while shown, unless a read is under way.
pub fn refresh(state: &mut State) -> Vec<Command> {
    if state.view() != View::Acls || state.acls.loading {
        return Vec::new();
    }
    state.acls.loading = true;
    vec![Command::LoadAcls]
}

pub fn on_loaded(state: &mut State, result: AclsRead) {
    state.acls.loading = false;
    state.acls.snapshot = Some(result);
}

pub fn set_filter(state: &mut State, text: &str) {
    state.acls.filter = text.trim().to_owned();
    state.acls.list.selected = 0;
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Command> {
    let rows = state.page();
    let shown = state.acls.shown().len();
    match action {
        a if a.is_navigation() => state.acls.list.step(action, shown, rows),
        Action::OpenFilter => {
            let current = state.acls.filter.clone();
            prompt::open(state, PromptKind::AclFilter, &current);
        }
        _ => {}
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::acl::{Operation, PatternKind, Resource, ResourceKind, principal};

    fn acl(who: &str, op: Operation, topic: &str) -> Acl {
        Acl {
            resource: Resource::new(ResourceKind::Topic, topic, PatternKind::Literal),
            principal: principal(who),
            host: "*".into(),
            operation: op,
            allow: true,
        }
    }

    #[test]
    fn the_filter_keeps_acls_holding_the_text_in_any_field() {
        let mut view = AclsView {
            snapshot: Some(Ok(Some(vec![
                acl("bob", Operation::Read, "orders"),
                acl("alice", Operation::Write, "payments"),
            ]))),
            ..Default::default()
        };
        assert_eq!(view.shown().len(), 2);
        view.filter = "BOB".into();
        assert_eq!(view.shown()[0].principal, "User:bob");
        view.filter = "write".into();
        assert_eq!(view.shown()[0].resource.name, "payments");
        view.filter = "nobody".into();
        assert!(view.shown().is_empty());
        view.snapshot = Some(Ok(None));
        view.filter.clear();
        assert!(view.shown().is_empty(), "no authorizer, no rows");
    }
}
