//! Reaching drawn experts: invitations, answers and deadlines (the outbox lands separately).

pub mod invitations;
pub mod outbox;
