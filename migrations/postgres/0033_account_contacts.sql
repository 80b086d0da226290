-- Issue 21 §3: staff accounts (supervisors first) may have a mobile number, so that what
-- concerns them — an alert within their jurisdiction — reaches them through the notification
-- outbox as messages to experts do. Sealed under the master key (context names the account);
-- the delivery worker opens it just before sending.
CREATE TABLE account_contacts (
    account_id   TEXT PRIMARY KEY REFERENCES accounts (id),
    sealed_phone BYTEA NOT NULL,
    updated_at   BIGINT NOT NULL
);
