//! `:transactions`: every transactional id with its state, and the hanging transactions (open
//! longer than 15 minutes with no coordinator to end them), which `D` aborts after the
//! partition is typed. Read again every few seconds while shown.

use super::super::action::Action;
use super::super::event::{AdminChange, Command};
use super::super::list::ListSelection;
use super::super::prompt::PromptKind;
use super::super::state::State;
use super::View;
use crate::kafka::{ProducerState, TransactionDescription, TransactionListing};

/// How old an open transaction is before the view calls it hanging (Kafka's default).
pub const HANGING_AFTER: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// A transactional id and what its coordinator says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnRow {
    pub listing: TransactionListing,
    pub description: Option<TransactionDescription>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnSnapshot {
    pub transactions: Vec<TxnRow>,
    pub hanging: Vec<ProducerState>,
    /// When it was read (Unix ms), for the ages.
    pub at_ms: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Focus {
    #[default]
    Transactions,
    Hanging,
}

#[derive(Debug, Clone, Default)]
pub struct TransactionsView {
    pub snapshot: Option<Result<TxnSnapshot, String>>,
    pub loading: bool,
    pub focus: Focus,
    pub list: ListSelection,
    pub hanging_list: ListSelection,
}

/// Opens the view and reads the transactions.
pub fn open(state: &mut State) -> Vec<Command> {
    state.views = vec![View::Overview, View::Transactions];
    state.transactions.loading = true;
    vec![Command::LoadTransactions]
}

/// Read again while shown, unless a read is under way (the poller's clock, every few seconds).
pub fn refresh(state: &mut State) -> Vec<Command> {
    if state.view() != View::Transactions || state.transactions.loading {
        return Vec::new();
    }
    state.transactions.loading = true;
    vec![Command::LoadTransactions]
}

pub fn on_loaded(state: &mut State, result: Result<TxnSnapshot, String>) {
    state.transactions.loading = false;
    state.transactions.snapshot = Some(result);
}

fn lens(state: &State) -> (usize, usize) {
    match &state.transactions.snapshot {
        Some(Ok(s)) => (s.transactions.len(), s.hanging.len()),
        _ => (0, 0),
    }
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Command> {
    let rows = state.page();
    let (transactions, hanging) = lens(state);
    let view = &mut state.transactions;
    match action {
        a if a.is_navigation() => match view.focus {
            Focus::Transactions => view.list.step(action, transactions, rows),
            Focus::Hanging => view.hanging_list.step(action, hanging, rows),
        },
        Action::NextPane | Action::PrevPane => {
            view.focus = match view.focus {
                Focus::Transactions if hanging > 0 => Focus::Hanging,
                _ => Focus::Transactions,
            }
        }
        Action::DeleteSelected => {
            let selected = match (&view.snapshot, view.focus) {
                (Some(Ok(s)), Focus::Hanging) => s.hanging.get(view.hanging_list.selected).cloned(),
                _ => None,
            };
            match selected {
                Some(h) => {
                    let Some(start) = h.open_transaction_from else {
                        return Vec::new();
                    };
                    let target = format!("{}/{}@{start}", h.topic, h.partition);
                    super::admin::ask(state, PromptKind::ConfirmAbortTransaction, Some(target), "");
                }
                None => state.error("select a hanging transaction (Tab) to abort it"),
            }
        }
        _ => {}
    }
    Vec::new()
}

/// The typed confirmation: `TOPIC/PARTITION` aborts the transaction starting at the offset.
pub fn confirm_abort(state: &mut State, target: Option<String>, typed: &str) -> Vec<Command> {
    let Some(target) = target else {
        return Vec::new();
    };
    let Some((partition_of, start)) = target.rsplit_once('@') else {
        return Vec::new();
    };
    if typed != partition_of {
        state.info(format!(
            "the transaction on {partition_of} stays open: its partition was not typed"
        ));
        return Vec::new();
    }
    let (Some((topic, partition)), Ok(start_offset)) =
        (partition_of.rsplit_once('/'), start.parse::<i64>())
    else {
        return Vec::new();
    };
    let Ok(partition) = partition.parse::<i32>() else {
        return Vec::new();
    };
    vec![Command::Admin(AdminChange::AbortTransaction {
        topic: topic.to_owned(),
        partition,
        start_offset,
    })]
}
