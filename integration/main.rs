//! The integration suite: every test spawns the real server on port 0 over real TLS, with a
//! fresh database (SQLite by default; PostgreSQL when `TEST_DATABASE_URL` names a server), a
//! CA made at test time, and real clients that trust only that CA.
#![expect(
    clippy::disallowed_methods,
    reason = "the servers under test start on the real time, which their certificates and the \
              TLS clients checking them live in, and tests make throwaway keys; clippy.toml's \
              rule is for the server's own code"
)]

mod browser;
mod helpers;

mod accounts;
mod admission;
mod analytics;
mod archive;
mod archive_pdf;
mod assessment;
mod audit;
mod backup;
mod cli;
mod console;
mod console_admission;
mod console_assets;
mod console_js;
mod console_self_service;
mod console_signing;
mod credit_file;
mod deployment;
mod draw_fairness;
mod draw_integrity;
mod draw_record;
mod draw_rules;
mod draws;
mod drills;
mod eligibility;
mod fees;
mod foundation;
mod hsm;
mod input;
mod interruptions;
mod invitations;
mod jurisdiction;
mod languages;
mod lifecycle;
mod member_certificates;
mod member_signatures;
mod member_sm2;
mod migrations;
mod notify;
mod permissions;
mod pool;
mod ratings;
mod record_vectors;
mod representatives;
mod resilience;
mod session_client;
mod session_report;
mod sessions;
mod signals;
mod storage;
mod strata_regions;
mod suites;
mod tls;
mod training;
mod venue_strata;
mod venues;
mod websockets;
mod witness;
