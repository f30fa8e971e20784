-- Field documentation: documented items (sightings of weapons), their markings and
-- identifications, evidence files with their collection metadata, links from items into evidence,
-- and the verification reviews. Keep in step with ../postgres/0004_field_documentation.sql: a test
-- compares the two schemas.
-- Every row belongs to one investigation (need-to-know). Times are RFC 3339 UTC text; partial
-- dates are text as written ("2014", "2014-06", "2014-06-10") with their first and last day for
-- range filters. Coordinates are WGS 84 decimal degrees.

CREATE TABLE items (
    id TEXT PRIMARY KEY NOT NULL,
    investigation_id TEXT NOT NULL REFERENCES investigations (id),
    -- The investigator's own reference ("CAR-IS-0012"); unique within the investigation.
    ref TEXT NOT NULL,
    description TEXT,
    identification_id TEXT,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    precision_m BIGINT,
    place_name TEXT,
    country TEXT,
    -- 'map' (resolved from the coordinates) or 'given' (named by the investigator).
    country_basis TEXT,
    location_sensitive BOOLEAN NOT NULL,
    date_text TEXT,
    date_first TEXT,
    date_last TEXT,
    possessor TEXT,
    acquisition_route TEXT,
    acquisition_basis TEXT,
    verification TEXT NOT NULL,
    merged_into TEXT REFERENCES items (id),
    notes TEXT,
    -- Where the record came from: 'FILE:LINE' for imports, 'armtrace items add' otherwise.
    source TEXT NOT NULL,
    -- SHA-256 of an imported record's content, so re-importing the same record adds nothing.
    content_sha256 TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    UNIQUE (investigation_id, ref)
);
CREATE INDEX items_merged_into ON items (merged_into);

-- Everyone who wrote an item's content: none of them may verify it.
CREATE TABLE item_authors (
    item_id TEXT NOT NULL REFERENCES items (id),
    user_name TEXT NOT NULL,
    PRIMARY KEY (item_id, user_name)
);

CREATE TABLE markings (
    item_id TEXT NOT NULL REFERENCES items (id),
    n BIGINT NOT NULL,
    position TEXT NOT NULL,
    script TEXT NOT NULL,
    text TEXT NOT NULL,
    transliteration TEXT,
    symbol TEXT,
    -- One mark per character of text: '.' clear, '~' uncertain, '?' unreadable.
    legibility TEXT NOT NULL,
    PRIMARY KEY (item_id, n)
);

CREATE TABLE identifications (
    id TEXT PRIMARY KEY NOT NULL,
    item_id TEXT NOT NULL REFERENCES items (id),
    model_id TEXT,
    model TEXT,
    category TEXT,
    country_of_manufacture TEXT,
    year_of_manufacture TEXT,
    basis TEXT NOT NULL,
    by_name TEXT NOT NULL,
    at TEXT NOT NULL,
    origin TEXT NOT NULL,
    rule TEXT,
    confidence DOUBLE PRECISION,
    accepted_suggestion TEXT,
    notes TEXT
);
CREATE INDEX identifications_item ON identifications (item_id);

CREATE TABLE evidence (
    id TEXT PRIMARY KEY NOT NULL,
    investigation_id TEXT NOT NULL REFERENCES investigations (id),
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    media_type TEXT NOT NULL,
    original_name TEXT,
    original_url TEXT,
    platform TEXT,
    post_id TEXT,
    uploader TEXT,
    retrieved_at TEXT,
    retrieved_by TEXT,
    archive_url TEXT,
    exif_capture_time TEXT,
    exif_lat DOUBLE PRECISION,
    exif_lon DOUBLE PRECISION,
    exif_camera TEXT,
    -- JSON array of what was wrong with the file's metadata or content (never trusted values).
    warnings TEXT NOT NULL,
    width BIGINT,
    height BIGINT,
    -- 64-bit perceptual hash, stored as its two's-complement signed value.
    perceptual_hash BIGINT,
    verification TEXT NOT NULL,
    added_at TEXT NOT NULL,
    added_by TEXT NOT NULL,
    UNIQUE (investigation_id, sha256)
);
CREATE INDEX evidence_sha256 ON evidence (sha256);

CREATE TABLE evidence_links (
    item_id TEXT NOT NULL REFERENCES items (id),
    evidence_id TEXT NOT NULL REFERENCES evidence (id),
    n BIGINT NOT NULL,
    -- 'whole', 'time_code' (start_ms, end_ms) or 'region' (x, y, width, height in pixels).
    anchor TEXT NOT NULL,
    start_ms BIGINT,
    end_ms BIGINT,
    x BIGINT,
    y BIGINT,
    width BIGINT,
    height BIGINT,
    added_at TEXT NOT NULL,
    added_by TEXT NOT NULL,
    PRIMARY KEY (item_id, evidence_id, n)
);
CREATE INDEX evidence_links_evidence ON evidence_links (evidence_id);

-- The verification workflow: every change of status, with its reason. Append-only.
CREATE TABLE reviews (
    id TEXT PRIMARY KEY NOT NULL,
    investigation_id TEXT NOT NULL REFERENCES investigations (id),
    record_kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    reason TEXT NOT NULL,
    by_name TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX reviews_record ON reviews (record_id);
