-- Expert logins are issued by an admin and activated by the expert with a one-time code; until
-- then the account has no usable password. Only the code's hash is stored.
ALTER TABLE accounts ADD COLUMN activation_code_hash BYTEA;
ALTER TABLE accounts ADD COLUMN activation_expires_at BIGINT;
