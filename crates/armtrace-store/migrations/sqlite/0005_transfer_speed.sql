-- Faster bulk loads of transfer registers (issue 4). Keep in step with
-- ../postgres/0005_transfer_speed.sql (a test compares the two schemas).
-- - transfers and deliveries are stored in primary-key order (WITHOUT ROWID): each is one b-tree
--   instead of a rowid table plus a separate primary-key index;
-- - the unique index on (release_no, record_key) is gone: the importer reads the keys a release
--   already has and skips those records under the write lock (`BEGIN IMMEDIATE`), so nothing can
--   add a duplicate key, and the index only cost time on every row written;
-- - the transfers' party indexes continue with the other party instead of the order year (no
--   query can range over order_year: they filter on COALESCE(order_year, first_delivery)), so
--   "who supplied this recipient" reads one recipient's rows already grouped by supplier (with
--   the order year, SQLite's planner scanned a whole release by supplier to avoid a sort), and
--   the recipient index also holds what that question sums, so it never reads the table.
-- SQLite cannot change a table's storage in place: each table is rebuilt, rows copied in key order.

CREATE TABLE transfers_0005 (
    release_no BIGINT NOT NULL,
    n BIGINT NOT NULL,
    record_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    source_type TEXT NOT NULL,
    supplier TEXT NOT NULL,
    supplier_name TEXT NOT NULL,
    recipient TEXT NOT NULL,
    recipient_name TEXT NOT NULL,
    designation TEXT NOT NULL,
    designation_folded TEXT NOT NULL,
    description TEXT,
    category TEXT,
    order_year BIGINT,
    order_year_est BOOLEAN NOT NULL,
    number_ordered BIGINT,
    number_ordered_est BOOLEAN NOT NULL,
    number_delivered BIGINT,
    number_delivered_est BOOLEAN NOT NULL,
    first_delivery BIGINT,
    last_delivery BIGINT,
    status TEXT,
    local_production BOOLEAN NOT NULL,
    tiv_per_unit BIGINT,
    tiv_deal_unit BIGINT,
    tiv_total_order BIGINT,
    tiv_delivered BIGINT,
    deal_id BIGINT,
    values_json TEXT,
    comments TEXT,
    source_file TEXT NOT NULL,
    source_line BIGINT NOT NULL,
    PRIMARY KEY (release_no, n)
) WITHOUT ROWID;
INSERT INTO transfers_0005 SELECT * FROM transfers ORDER BY release_no, n;
DROP TABLE transfers;
ALTER TABLE transfers_0005 RENAME TO transfers;
CREATE INDEX transfers_by_recipient ON transfers (release_no, recipient, supplier, kind, order_year, first_delivery, number_delivered, tiv_delivered);
CREATE INDEX transfers_by_supplier ON transfers (release_no, supplier, recipient);

CREATE TABLE deliveries_0005 (
    release_no BIGINT NOT NULL,
    n BIGINT NOT NULL,
    year BIGINT NOT NULL,
    supplier TEXT NOT NULL,
    recipient TEXT NOT NULL,
    category TEXT,
    year_est BOOLEAN NOT NULL,
    number BIGINT,
    number_est BOOLEAN NOT NULL,
    tiv BIGINT,
    spread BOOLEAN NOT NULL,
    PRIMARY KEY (release_no, n, year)
) WITHOUT ROWID;
INSERT INTO deliveries_0005 SELECT * FROM deliveries ORDER BY release_no, n, year;
DROP TABLE deliveries;
ALTER TABLE deliveries_0005 RENAME TO deliveries;
CREATE INDEX deliveries_by_recipient ON deliveries (release_no, recipient, year, n, tiv, spread);
CREATE INDEX deliveries_by_supplier ON deliveries (release_no, supplier, year, n, tiv, spread);
