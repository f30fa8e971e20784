-- Transfers are stored in segments (issue 4): compact binary blocks of up to 4096 transfers that
-- share a release, a recipient and a supplier (see crates/armtrace-store/src/segment.rs). One
-- row per transfer, with its indexes, cost about 30 µs per record to write; a segment costs one
-- row for thousands. Keep in step with ../sqlite/0006_transfer_segments.sql (a test compares
-- the two schemas).
--
-- The old tables are kept under new names until the store has copied their rows into segments
-- (that needs armtrace's own encoder, so it happens in Rust right after this migration, in one
-- transaction that then drops them).

DROP INDEX transfers_by_recipient;
DROP INDEX transfers_by_supplier;
DROP INDEX deliveries_by_recipient;
DROP INDEX deliveries_by_supplier;
ALTER TABLE transfers RENAME TO legacy_transfers;
ALTER TABLE deliveries RENAME TO legacy_deliveries;

CREATE TABLE transfer_segments (
    release_no BIGINT NOT NULL,
    seg BIGINT NOT NULL,
    recipient TEXT NOT NULL,
    supplier TEXT NOT NULL,
    transfers BIGINT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (release_no, seg)
);
-- Segments are already compact: stored out of line without pglz compression, which would cost
-- more time than it saves space.
ALTER TABLE transfer_segments ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE INDEX transfer_segments_by_recipient ON transfer_segments (release_no, recipient, supplier);
CREATE INDEX transfer_segments_by_supplier ON transfer_segments (release_no, supplier, recipient);
