//! Offline export and verification (see `sealdraw audit`).
