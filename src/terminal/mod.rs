//! The participant's side, run from a terminal on the participant's machine, not in the
//! server. [`client`] is the session client (ticket, websocket, requests and their replies)
//! that `sealdraw client`, the integration tests and the load benchmark use; [`commands`] is
//! the command language typed or scripted into `sealdraw client`; [`participant`] runs it.
//! [`entropy`] is `sealdraw draw contribute`: a draw's center or a supervisor sending its
//! randomness over HTTPS.
//!
//! The frames themselves are the server's: [`crate::session::protocol`] defines them and the
//! client reads and writes them from there, so both sides speak one set of types. Nothing in
//! the server uses this module.

pub mod client;
pub(crate) mod commands;
pub(crate) mod entropy;
pub(crate) mod participant;
