-- Transfer registers: releases of SIPRI's register and native datasets, their transfers, and
-- deliveries by year. Keep in step with ../postgres/0002_transfers.sql (a test compares them).
-- TIV values are integer thousandths of a million TIV; parties are 'country:IRQ', 'actor:KEY' or
-- 'unknown'.

CREATE TABLE releases (
    id TEXT PRIMARY KEY NOT NULL,
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
    id TEXT PRIMARY KEY NOT NULL,
    release_id TEXT NOT NULL,
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
    UNIQUE (release_id, record_key)
);
CREATE INDEX transfers_by_recipient ON transfers (release_id, recipient, order_year);
CREATE INDEX transfers_by_supplier ON transfers (release_id, supplier, order_year);

CREATE TABLE deliveries (
    transfer_id TEXT NOT NULL,
    release_id TEXT NOT NULL,
    supplier TEXT NOT NULL,
    recipient TEXT NOT NULL,
    category TEXT,
    year BIGINT NOT NULL,
    year_est BOOLEAN NOT NULL,
    number BIGINT,
    number_est BOOLEAN NOT NULL,
    tiv BIGINT,
    spread BOOLEAN NOT NULL,
    PRIMARY KEY (transfer_id, year)
);
CREATE INDEX deliveries_by_recipient ON deliveries (release_id, recipient, year);
CREATE INDEX deliveries_by_supplier ON deliveries (release_id, supplier, year);

-- The names each party goes by in a release, for labelling grouped answers without scanning
-- the transfers.
CREATE TABLE release_parties (
    release_id TEXT NOT NULL,
    party TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (release_id, party, name)
);
