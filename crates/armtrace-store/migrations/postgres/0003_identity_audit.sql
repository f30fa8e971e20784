-- Users, investigations with need-to-know membership, and the hash-chained audit log with its
-- signed checkpoints. Keep in step with ../sqlite/0003_identity_audit.sql: a test compares the
-- two schemas. (0002 is the transfer register's.)
-- Times are RFC 3339 UTC text. The audit log is append-only: armtrace never updates or deletes
-- its rows; corrections are new entries. The checkpoint signing key is never stored here, only
-- its public half (schema_meta 'audit_public_key').

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE investigations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    description TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE memberships (
    investigation_id TEXT NOT NULL REFERENCES investigations (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    added_at TEXT NOT NULL,
    added_by TEXT NOT NULL,
    PRIMARY KEY (investigation_id, user_id)
);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    record_kind TEXT NOT NULL,
    record_id TEXT,
    investigation_id TEXT,
    before_json TEXT,
    after_json TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_record ON audit_log (record_id);

CREATE TABLE audit_checkpoints (
    seq BIGINT PRIMARY KEY NOT NULL,
    head_hash TEXT NOT NULL,
    at TEXT NOT NULL,
    public_key TEXT NOT NULL,
    signature TEXT NOT NULL
);
