//! How many session websockets each account holds on this instance. A participant needs a few
//! (a tab per screen, a phone beside the laptop); hundreds from one token cost the instance
//! memory and tasks, and fill the session with presence events (issue 17). A slot is taken
//! while the ticket is redeemed, before it is spent, so a refused upgrade keeps its ticket;
//! the connection gives it back when it ends.
//!
//! The count lives in this instance's memory: instances share nothing but the database, and a
//! count there would outlive a crashed instance's connections. Behind a load balancer an account
//! may therefore hold the cap on each instance (SECURITY.md §2d).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

pub(crate) struct ConnectionSlots {
    per_account: usize,
    held: Arc<Mutex<HashMap<String, usize>>>,
}

/// One open (or opening) connection of an account; dropping it frees the slot.
pub(crate) struct ConnectionSlot {
    account_id: String,
    held: Arc<Mutex<HashMap<String, usize>>>,
}

impl ConnectionSlots {
    pub(crate) fn new(per_account: usize) -> Self {
        Self {
            per_account,
            held: Arc::default(),
        }
    }

    pub(crate) fn per_account(&self) -> usize {
        self.per_account
    }

    /// A slot for one more connection of `account_id`, or `None` when it holds them all.
    pub(crate) fn take(&self, account_id: &str) -> Option<ConnectionSlot> {
        let mut held = lock(&self.held);
        let count = held.entry(account_id.to_owned()).or_default();
        if *count >= self.per_account {
            return None;
        }
        *count += 1;
        Some(ConnectionSlot {
            account_id: account_id.to_owned(),
            held: self.held.clone(),
        })
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut held = lock(&self.held);
        if let Some(count) = held.get_mut(&self.account_id) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.account_id);
            }
        }
    }
}

fn lock(held: &Mutex<HashMap<String, usize>>) -> MutexGuard<'_, HashMap<String, usize>> {
    // The map holds plain counts, consistent after any panic elsewhere.
    held.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_holds_at_most_its_slots_and_a_freed_slot_can_be_taken_again() {
        let slots = ConnectionSlots::new(2);
        let first = slots.take("a").unwrap();
        let _second = slots.take("a").unwrap();
        assert!(slots.take("a").is_none());
        // Other accounts count on their own.
        let _other = slots.take("b").unwrap();
        drop(first);
        let _again = slots.take("a").unwrap();
        assert!(slots.take("a").is_none());
    }

    #[test]
    fn accounts_without_connections_leave_nothing_behind() {
        let slots = ConnectionSlots::new(1);
        drop(slots.take("a"));
        assert!(lock(&slots.held).is_empty());
    }
}
