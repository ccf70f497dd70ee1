-- The working store of a qualkit project. Codings point into documents by code point
-- offsets (from 0, end exclusive). The audit log is append-only: triggers refuse to change it.
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS coders (
    name       TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL
);

-- What each coded document looked like when it was first coded, to notice later edits.
CREATE TABLE IF NOT EXISTS documents (
    id          TEXT PRIMARY KEY,
    source      TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    chars       INTEGER NOT NULL,
    first_coded TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS audit (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
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

CREATE TABLE IF NOT EXISTS codings (
    id         INTEGER PRIMARY KEY,
    document   TEXT NOT NULL,
    code       TEXT NOT NULL,
    coder      TEXT NOT NULL REFERENCES coders(name),
    start      INTEGER NOT NULL CHECK (start >= 0),
    end        INTEGER NOT NULL CHECK (end > start),
    created    INTEGER NOT NULL REFERENCES audit(seq)
);
CREATE INDEX IF NOT EXISTS codings_by_place ON codings(document, code, coder, start);
-- No query looks codings up by code alone; stores made before this was known drop the index.
DROP INDEX IF EXISTS codings_by_code;

CREATE TABLE IF NOT EXISTS memos (
    kind    TEXT NOT NULL CHECK (kind IN ('coding', 'document', 'code', 'case', 'project')),
    target  TEXT NOT NULL,
    coder   TEXT NOT NULL REFERENCES coders(name),
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
