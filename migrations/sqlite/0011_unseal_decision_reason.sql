-- Why a supervisor refused an unseal request: the requester and later readers of the dual-control
-- record see it beside the decision (the audit log keeps its SHA-256).
ALTER TABLE unseal_requests ADD COLUMN decision_reason TEXT;
