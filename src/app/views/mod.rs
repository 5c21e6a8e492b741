//! The dashboard's views: each module holds one view's state and what its keys do
//! (`on_action`). The view stack and the dispatch live in `state.rs`.

pub mod acls;
pub mod admin;
pub mod brokers;
pub mod clusters;
pub mod connect;
pub mod group;
pub mod groups;
pub mod messages;
pub mod ml;
pub mod operate;
pub mod processors;
pub mod produce;
pub mod schemas;
pub mod sensors;
pub mod topic;
pub mod topics;
pub mod transactions;

/// The views, stacked: Esc goes back to the one below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Overview,
    Topics,
    Topic,
    Messages,
    Produce,
    Groups,
    Group,
    Ml,
    Sensors,
    Clusters,
    Schemas,
    Brokers,
    Transactions,
    Acls,
    /// Kafka Connect's connectors.
    Connect,
    /// One connector: tasks, config, failure.
    Connector,
}

impl View {
    pub const ALL: [View; 16] = [
        View::Overview,
        View::Topics,
        View::Topic,
        View::Messages,
        View::Produce,
        View::Groups,
        View::Group,
        View::Ml,
        View::Sensors,
        View::Clusters,
        View::Schemas,
        View::Brokers,
        View::Transactions,
        View::Acls,
        View::Connect,
        View::Connector,
    ];
}
