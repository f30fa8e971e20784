-- Reference data: countries (current and historic), actors, party name variants, weapon
-- categories, manufacturers, weapon models, factory codes and arms embargoes.
-- Keep in step with ../sqlite/0001_reference.sql: a test compares the two schemas.
-- Identifiers are UUIDs as text; `origin` is 'reference' for shipped rows and 'user' for rows
-- users add (init never touches user rows). Lists are JSON arrays in *_json columns.

CREATE TABLE schema_meta (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE countries (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    official_name TEXT,
    alpha2 TEXT,
    alpha3 TEXT,
    numeric_code TEXT,
    valid_from BIGINT,
    valid_to BIGINT,
    historic BOOLEAN NOT NULL,
    successors_json TEXT NOT NULL,
    source TEXT NOT NULL,
    origin TEXT NOT NULL
);

CREATE TABLE actors (
    id TEXT PRIMARY KEY NOT NULL,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    country_code TEXT,
    parent_id TEXT,
    source TEXT NOT NULL,
    origin TEXT NOT NULL
);

CREATE TABLE party_aliases (
    id TEXT PRIMARY KEY NOT NULL,
    alias TEXT NOT NULL,
    folded TEXT NOT NULL,
    target TEXT NOT NULL,
    source TEXT NOT NULL,
    origin TEXT NOT NULL
);
CREATE INDEX party_aliases_folded ON party_aliases (folded);

CREATE TABLE categories (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    scheme TEXT NOT NULL,
    name TEXT NOT NULL,
    parent_code TEXT,
    aliases_json TEXT NOT NULL,
    source TEXT NOT NULL,
    origin TEXT NOT NULL
);

CREATE TABLE manufacturers (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    country_code TEXT,
    aliases_json TEXT NOT NULL,
    source TEXT NOT NULL,
    origin TEXT NOT NULL
);

CREATE TABLE weapon_models (
    id TEXT PRIMARY KEY NOT NULL,
    designation TEXT NOT NULL UNIQUE,
    aliases_json TEXT NOT NULL,
    family TEXT,
    category_code TEXT,
    category_as_written TEXT,
    calibre TEXT,
    country_code TEXT,
    country_as_written TEXT,
    producers_json TEXT NOT NULL,
    copy_of TEXT,
    notes TEXT,
    source TEXT NOT NULL,
    reliability TEXT NOT NULL,
    origin TEXT NOT NULL
);

CREATE TABLE factory_codes (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL,
    symbol TEXT,
    country_code TEXT,
    country_as_written TEXT NOT NULL,
    manufacturer TEXT NOT NULL,
    used_on TEXT,
    notes TEXT,
    source TEXT NOT NULL,
    reliability TEXT NOT NULL,
    origin TEXT NOT NULL
);

CREATE TABLE embargoes (
    id TEXT PRIMARY KEY NOT NULL,
    target TEXT NOT NULL,
    target_country TEXT,
    imposed_by TEXT NOT NULL,
    establishing_decision TEXT,
    decision_date TEXT,
    modifying_decisions TEXT,
    start_date TEXT,
    end_date TEXT,
    status TEXT NOT NULL,
    scope TEXT,
    source TEXT NOT NULL,
    reliability TEXT NOT NULL,
    origin TEXT NOT NULL
);
