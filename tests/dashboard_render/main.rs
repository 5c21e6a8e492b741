//! Every dashboard view rendered on ratatui's TestBackend from states built through the real update
//! step: one file a concern, the shared states in `harness`.

mod acls;
mod admin;
mod connect;
mod demos;
mod groups;
mod harness;
mod layout;
mod long_values;
mod messages;
mod navigation;
mod operate;
mod produce;
mod safety;
mod states;
mod transactions;
