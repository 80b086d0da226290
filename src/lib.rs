//! sealdraw: the province's expert draw and remote evaluation coordination server.
//!
//! The module tree is the architecture (see `docs/ARCHITECTURE.md` and `SECURITY.md`); which
//! module may use which is checked by the unit tests (`boundaries`):
//!
//! | module      | owns |
//! |-------------|------|
//! | [`config`]    | typed settings: defaults → TOML → `SEALDRAW__…` env; redacted secrets |
//! | [`startup`]   | `Application::build(settings, clock, rng)`, binding, `run_until_stopped` |
//! | [`tls`]       | rustls server config (ring), client certificates → center identity |
//! | [`telemetry`] | JSON logs, metrics on a loopback listener |
//! | [`clock`]     | the injected clock |
//! | [`deps`]      | `Deps`: the store, clock, randomness and keys every domain service is built from |
//! | [`crypto`]    | the only code that touches key material: CSPRNG, sealing, HMAC, keys, signing |
//! | [`auth`]      | argon2id passwords, tokens, TOTP, throttling, the role table |
//! | [`store`]     | the only code that knows SQL: SQLite and PostgreSQL behind one interface |
//! | [`audit`]     | the transparency log: entries, Merkle tree, checkpoints, tiles, proofs, witnesses |
//! | [`pool`]      | the expert pool: sealed records, import, demo data, views, dual-controlled unseal |
//! | [`private_files`] | the data directory (0700) and the files only the server may read (0600) |
//! | [`rotation`]  | sealing-key rotation over the stored values (the walk; `crypto` re-seals) |
//! | [`draw`]      | the verifiable draw: pool rules, commit → contribute → result, replacements, records |
//! | [`notify`]    | reaching experts: outbox, gateways, delivery worker, invitations, answers, deadlines |
//! | [`publication`] | the committee list's release (公示): request, approval, the logged read |
//! | [`conduct`]   | ratings of members' conduct, appeals, and the credit score they feed |
//! | [`interruption`] | suspending, resuming, postponing and cancelling an evaluation, under a supervisor's approval |
//! | [`analytics`] | supervision's statistics and signals: remote share, supply, alerts and cases, the synthetic history |
//! | [`session`]   | evaluation sessions: venues, seats, phases, sheets, signatures, the protocol, the websocket hub |
//! | [`venue`]     | the venue catalogue: centers' evaluation rooms, bookings of their workstations, sub-venue consent |
//! | [`fees`]      | experts' fees: the published standard, settlements from a session's real times, the payment file |
//! | [`web`]       | what both HTTPS servers share: security headers, request ids and deadlines, problem+json |
//! | [`http`]      | routes, domain errors as problems, body limits, OpenAPI |
//! | [`tasks`]     | the loop of the periodic background tasks (overdue draws, invitation deadlines, the daily signals) |
//! | [`text`]      | the one rule for the characters of typed text (names, references, reasons) |
//! | [`console`]   | the web console: embedded ES modules and their content security policy |
//! | [`terminal`]  | the participant's side, outside the server: the session client, `sealdraw client`, entropy |
//! | [`cli`]       | the `sealdraw` subcommands |
//! | [`bench`]     | `sealdraw bench`: reproducible measurements beside the machine's raw limits |
#![forbid(unsafe_code)]
// `pub` only where another crate (the binary, the integration tests) can reach it; inside, `pub(crate)`.
#![warn(unreachable_pub)]

pub(crate) mod admission;
pub(crate) mod analytics;
pub mod archive;
pub mod audit;
pub mod auth;
pub(crate) mod bench;
#[cfg(test)]
mod boundaries;
pub mod cli;
pub mod clock;
pub(crate) mod conduct;
pub mod config;
pub mod console;
pub mod crypto;
pub(crate) mod deps;
pub mod draw;
pub(crate) mod fees;
pub mod http;
pub(crate) mod interruption;
pub mod notify;
pub mod pool;
pub(crate) mod private_files;
pub(crate) mod publication;
pub(crate) mod rotation;
pub mod session;
pub mod startup;
pub mod store;
pub(crate) mod tasks;
pub mod telemetry;
pub mod terminal;
pub(crate) mod text;
pub mod tls;
pub mod venue;
pub mod web;
