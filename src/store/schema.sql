-- The cache of a qualkit project: everything here is rebuilt from the project's plain files
-- (the record) when it is missing or they changed. Codings point into documents by code point
-- offsets (from 0, end exclusive). Ids (`guid`, `id`) are the record's ids, kept for life.
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS coders (
    name       TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL
);

-- What each coded document's text was when the store last checked its codings against it.
CREATE TABLE IF NOT EXISTS documents (
    id          TEXT PRIMARY KEY,
    source      TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    chars       INTEGER NOT NULL,
    first_coded TEXT NOT NULL
);

-- The audit log (log.jsonl): `seq` orders it in this cache, `id` names an entry for life.
CREATE TABLE IF NOT EXISTS audit (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    at               TEXT NOT NULL,
    coder            TEXT NOT NULL,
    action           TEXT NOT NULL,
    detail           TEXT NOT NULL,
    codebook_version TEXT NOT NULL
);

CREATE TRIGGER IF NOT EXISTS audit_is_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_is_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- When codings were made and by which log entry: one row per change, shared by its codings
-- (a bulk import makes a million codings at one time), so that codings rows stay narrow.
CREATE TABLE IF NOT EXISTS made (
    id      INTEGER PRIMARY KEY,
    created TEXT NOT NULL,
    entry   TEXT NOT NULL,
    UNIQUE (created, entry)
);

-- `id` is the row's place in this cache (scans split by it). The coding's own id is in
-- `coding_ids`, under the same `id`: analysis scans every coding and never needs it.
CREATE TABLE IF NOT EXISTS codings (
    id         INTEGER PRIMARY KEY,
    document   TEXT NOT NULL,
    code       TEXT NOT NULL,
    coder      TEXT NOT NULL,
    start      INTEGER NOT NULL CHECK (start >= 0),
    end        INTEGER NOT NULL CHECK (end > start),
    made       INTEGER NOT NULL REFERENCES made(id)
);
-- By coder first: serves the overlap checks (coder, document, code) and writing one coder's
-- file of the record.
CREATE INDEX IF NOT EXISTS codings_by_coder ON codings(coder, document, code, start);

-- Looked up by `guid` only for a command about one coding: a scan of this narrow table takes a
-- fraction of what an index on a million ids costs to build with every fresh cache.
CREATE TABLE IF NOT EXISTS coding_ids (
    id   INTEGER PRIMARY KEY,
    guid TEXT NOT NULL
);

-- Codings of the record that do not fit the project as it is now (their document or code is
-- gone, their span was edited by hand to text that is not their quote, or re-anchoring found
-- their text gone from an edited document). Kept, never used in analysis, written back
-- to the record as they were, and listed by `qualkit info`.
CREATE TABLE IF NOT EXISTS unplaced_codings (
    guid     TEXT PRIMARY KEY,
    document TEXT NOT NULL,
    code     TEXT NOT NULL,
    coder    TEXT NOT NULL,
    start    INTEGER NOT NULL,
    end      INTEGER NOT NULL,
    quote    TEXT NOT NULL,
    created  TEXT NOT NULL,
    entry    TEXT NOT NULL,
    reason   TEXT NOT NULL,
    -- Its text is gone from the document: kept with its quote, without a place.
    detached INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS memos (
    id      TEXT NOT NULL UNIQUE,
    kind    TEXT NOT NULL CHECK (kind IN ('coding', 'document', 'code', 'case', 'project')),
    target  TEXT NOT NULL,
    coder   TEXT NOT NULL,
    text    TEXT NOT NULL,
    updated TEXT NOT NULL,
    PRIMARY KEY (kind, target, coder)
);

-- Framework charting: the analyst's summary of what one case says about one theme.
CREATE TABLE IF NOT EXISTS summaries (
    case_name TEXT NOT NULL,
    theme     TEXT NOT NULL,
    text      TEXT NOT NULL,
    author    TEXT NOT NULL,
    updated   TEXT NOT NULL,
    PRIMARY KEY (case_name, theme)
);

-- Case attributes a script derived by a rule (a classification), each with its reason.
CREATE TABLE IF NOT EXISTS case_attributes (
    case_name TEXT NOT NULL,
    attribute TEXT NOT NULL,
    value     TEXT NOT NULL,
    reason    TEXT NOT NULL,
    author    TEXT NOT NULL,
    updated   TEXT NOT NULL,
    PRIMARY KEY (case_name, attribute)
);
