-- Issue 19 §1: a member's signing key may be a certificate from an outside CA (CA互认). The
-- member's certificate (DER) fills `certificate`; the chain they enrolled (PEM, theirs first,
-- the root left out: it is the server's, from signing_keys.trusted_cas) and the name of the CA
-- it verified up to are kept beside it, so that every signature is checked against the chain
-- again and an archive package carries what a verifier needs years later.
ALTER TABLE member_signing_keys ADD COLUMN certificate_chain_pem TEXT;
ALTER TABLE member_signing_keys ADD COLUMN certificate_authority TEXT;
