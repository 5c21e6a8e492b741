//! The dashboard: state and its one update step, views, key bindings, background jobs, and the
//! runtime that owns the terminal.

pub mod action;
pub mod event;
pub mod input;
pub mod jobs;
pub mod keymap;
pub mod list;
pub mod prompt;
pub mod runtime;
pub mod state;
pub mod stats;
pub mod views;
