-- Transfer registers: releases of SIPRI's register and native datasets, their transfers, and
-- deliveries by year. Keep in step with ../sqlite/0002_transfers.sql (a test compares them).
-- TIV values are integer thousandths of a million TIV; parties are 'country:IRQ', 'actor:KEY' or
-- 'unknown'. Inside the store a release is known by a small number (`release_no`) and a transfer
-- by (release_no, n): narrow integer keys keep the indexes small for registers of millions of
-- rows. A transfer's UUID is derived from its release's UUID and its record key
-- (armtrace_core::transfer::transfer_id), so it is computed, not stored.

CREATE TABLE releases (
    id TEXT PRIMARY KEY NOT NULL,
    release_no BIGINT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    name TEXT NOT NULL,
    format TEXT NOT NULL,
    selection TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (source, name, format)
);

CREATE TABLE release_files (
    release_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    records BIGINT NOT NULL,
    added BIGINT NOT NULL,
    PRIMARY KEY (release_id, sha256)
);

CREATE TABLE transfers (
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
    PRIMARY KEY (release_no, n),
    UNIQUE (release_no, record_key)
);
CREATE INDEX transfers_by_recipient ON transfers (release_no, recipient, order_year);
CREATE INDEX transfers_by_supplier ON transfers (release_no, supplier, order_year);

CREATE TABLE deliveries (
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
);
CREATE INDEX deliveries_by_recipient ON deliveries (release_no, recipient, year, n, tiv, spread);
CREATE INDEX deliveries_by_supplier ON deliveries (release_no, supplier, year, n, tiv, spread);

-- The names each party goes by in a release, for labelling grouped answers without scanning
-- the transfers.
CREATE TABLE release_parties (
    release_no BIGINT NOT NULL,
    party TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (release_no, party, name)
);
