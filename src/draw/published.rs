//! Placeholder until the published-record module lands (branch draw-published).
use serde::{Deserialize, Serialize};

use super::VerificationRecord;

pub const RECORD_FORMAT: &str = "sealdraw-draw-record-v1";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedRecord {
    pub format: String,
    pub draw: VerificationRecord,
    pub intent_proof: String,
    pub result_proof: String,
    pub replacement_proofs: Vec<String>,
}

impl PublishedRecord {
    pub fn new(
        draw: VerificationRecord,
        intent_proof: String,
        result_proof: String,
        replacement_proofs: Vec<String>,
    ) -> Self {
        Self {
            format: RECORD_FORMAT.into(),
            draw,
            intent_proof,
            result_proof,
            replacement_proofs,
        }
    }
}
