//! The dashboard: state and its one update step, key bindings, and the runtime that owns the
//! terminal and the background tasks.

pub mod action;
pub mod event;
pub mod input;
pub mod keymap;
pub mod messages;
pub mod ml;
pub mod runtime;
pub mod sensors;
pub mod state;
pub mod stats;
pub mod tasks;
