-- Faster bulk loads of transfer registers (issue 4). Keep in step with
-- ../sqlite/0005_transfer_speed.sql (a test compares the two schemas).
-- The unique index on (release_no, record_key) is gone: the importer reads the keys a release
-- already has and skips those records under the write lock (`pg_advisory_xact_lock`), so nothing
-- can add a duplicate key, and the index only cost time on every row written.
-- The transfers' party indexes continue with the other party instead of the order year (no query
-- can range over order_year: they filter on COALESCE(order_year, first_delivery)), so "who
-- supplied this recipient" reads one recipient's rows already grouped by supplier, and the
-- recipient index also holds what that question sums (an index-only scan once vacuumed).
-- (SQLite also stores both tables in primary-key order; PostgreSQL has no rowid to save.)

ALTER TABLE transfers DROP CONSTRAINT transfers_release_no_record_key_key;
DROP INDEX transfers_by_recipient;
DROP INDEX transfers_by_supplier;
CREATE INDEX transfers_by_recipient ON transfers (release_no, recipient, supplier, kind, order_year, first_delivery, number_delivered, tiv_delivered);
CREATE INDEX transfers_by_supplier ON transfers (release_no, supplier, recipient);
