-- Item queries at scale: filters, counts and keyset pages over distinct weapons run in SQL.
-- Keep in step with ../sqlite/0009_item_queries.sql: a test compares the two schemas.
--
-- Every item row (a sighting) carries what queries filter and group by, so that a page or a count
-- reads one table through its indexes:
-- - weapon_id: the weapon it is a sighting of (its own id, or the item it was merged into);
-- - w_status: that weapon's verification status (a weapon is listed by its own status);
-- - sightings: on a weapon's own row, how many sightings it has (itself included);
-- - made_in, model, category, year_made: the current identification's, copied here;
-- - sort_key: the listing order, folded reference, reference and id joined by U+0001, compared
--   byte by byte on both backends;
-- - model_fold, place_fold: folded text for "contains" filters (case- and accent-insensitive).
-- The folded columns are armtrace's own folding: the store fills them in after migrating.

ALTER TABLE items ADD COLUMN weapon_id TEXT;
ALTER TABLE items ADD COLUMN w_status TEXT;
ALTER TABLE items ADD COLUMN sightings BIGINT NOT NULL DEFAULT 1;
ALTER TABLE items ADD COLUMN made_in TEXT;
ALTER TABLE items ADD COLUMN model TEXT;
ALTER TABLE items ADD COLUMN category TEXT;
ALTER TABLE items ADD COLUMN year_made BIGINT;
ALTER TABLE items ADD COLUMN sort_key TEXT COLLATE "C";
ALTER TABLE items ADD COLUMN model_fold TEXT;
ALTER TABLE items ADD COLUMN place_fold TEXT;

UPDATE items SET weapon_id = COALESCE(merged_into, id);
UPDATE items SET
    made_in = (SELECT d.country_of_manufacture FROM identifications d WHERE d.id = items.identification_id),
    model = (SELECT d.model FROM identifications d WHERE d.id = items.identification_id),
    category = (SELECT d.category FROM identifications d WHERE d.id = items.identification_id),
    year_made = (SELECT CAST(SUBSTR(d.year_of_manufacture, 1, 4) AS BIGINT) FROM identifications d WHERE d.id = items.identification_id);
UPDATE items SET w_status = (SELECT r.verification FROM items r WHERE r.id = items.weapon_id);
UPDATE items SET sightings = (SELECT COUNT(*) FROM items s WHERE s.weapon_id = items.id)
    WHERE merged_into IS NULL;

CREATE INDEX items_page ON items (investigation_id, sort_key);
CREATE INDEX items_weapon ON items (weapon_id);
CREATE INDEX items_by_made_in ON items (investigation_id, made_in, weapon_id);
CREATE INDEX items_by_possessor ON items (investigation_id, possessor, weapon_id);
CREATE INDEX items_by_country ON items (investigation_id, country, weapon_id);
CREATE INDEX items_by_category ON items (investigation_id, category, weapon_id);
CREATE INDEX items_by_status ON items (investigation_id, w_status, weapon_id);
CREATE INDEX items_by_date ON items (investigation_id, date_first);
