//! `:brokers`: every broker with the partitions it leads and hosts and its size on disk, and
//! the configs of the one opened with Enter.

use super::super::action::Action;
use super::super::event::Command;
use super::super::list::ListSelection;
use super::super::prompt::PromptKind;
use super::super::state::State;
use crate::kafka::ConfigEntry;

#[derive(Debug, Clone, Default)]
pub struct BrokersView {
    pub list: ListSelection,
    /// The opened broker's configs, non-defaults first.
    pub configs: Option<(i32, Result<Vec<ConfigEntry>, String>)>,
    pub config_list: ListSelection,
    /// Moving in the configs rather than the brokers.
    pub in_configs: bool,
    pub raw: bool,
}

pub fn on_configs(state: &mut State, broker: i32, result: Result<Vec<ConfigEntry>, String>) {
    let result = result.map(|mut configs| {
        // What the operator set comes first; the defaults after, by name.
        configs.sort_by(|a, b| a.is_default.cmp(&b.is_default).then(a.name.cmp(&b.name)));
        configs
    });
    state.brokers.configs = Some((broker, result));
    state.brokers.config_list = ListSelection::default();
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Command> {
    let rows = state.page();
    let brokers = state
        .session
        .cluster
        .as_ref()
        .map_or(0, |c| c.brokers.len());
    let configs = match &state.brokers.configs {
        Some((_, Ok(c))) => c.len(),
        _ => 0,
    };
    let view = &mut state.brokers;
    match action {
        a if a.is_navigation() => {
            if view.in_configs {
                view.config_list.step(action, configs, rows);
            } else {
                view.list.step(action, brokers, rows);
            }
        }
        Action::NextPane | Action::PrevPane => view.in_configs = !view.in_configs,
        Action::EditConfig => {
            let selected = match &view.configs {
                Some((_, Ok(c))) if view.in_configs => c.get(view.config_list.selected).cloned(),
                _ => None,
            };
            match selected {
                Some(c) if c.read_only => state.error(format!(
                    "{} is not a dynamic config: set it in the broker's file",
                    c.name
                )),
                Some(c) => {
                    let current = if c.is_sensitive {
                        String::new()
                    } else {
                        c.value.unwrap_or_default()
                    };
                    super::admin::ask(state, PromptKind::EditBrokerConfig, Some(c.name), &current);
                }
                None => state.error("open a broker's configs (Enter) and select one to edit"),
            }
        }
        Action::ToggleRaw => view.raw = !view.raw,
        Action::Open => {
            let id = state
                .session
                .cluster
                .as_ref()
                .and_then(|c| c.brokers.get(state.brokers.list.selected))
                .map(|b| b.id);
            if let Some(id) = id {
                state.brokers.configs = None;
                state.brokers.in_configs = true;
                return vec![Command::LoadBrokerConfigs(id)];
            }
        }
        _ => {}
    }
    Vec::new()
}
