-- Issue 19 §2: evaluation archive packages (docs/ARCHIVE.md). One row per package, kept under
-- its id (the SHA-256 of its manifest) in `archive.dir`. A subject (a closed session, or an
-- on-site evaluation's draw) has one package; `draw_id` is the subject's root draw, by which a
-- supervisor's jurisdiction is checked. Nothing is deleted before `expires_at`; a deletion
-- after it keeps the row, marked, so that the subject's package is not made again.
CREATE TABLE archives (
    id              TEXT PRIMARY KEY,
    subject_kind    TEXT NOT NULL CHECK (subject_kind IN ('session', 'draw')),
    subject_id      TEXT NOT NULL UNIQUE,
    draw_id         TEXT NOT NULL,
    checkpoint_size BIGINT NOT NULL,
    bytes           BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    deleted_at      BIGINT,
    deleted_by      TEXT REFERENCES accounts (id)
);

CREATE INDEX archives_created ON archives (created_at, id);
