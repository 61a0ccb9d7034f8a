-- The office's registry, plans and their versions, periods, data values, computed and
-- published results, browser sessions and API tokens.
-- Immutable tables (plan versions, result sets and rows, publications) refuse UPDATE and
-- DELETE: a plan in use is superseded by a new version, a publication by a new one with
-- its reason.

CREATE TABLE areas (
    key        TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    parent_key TEXT REFERENCES areas(key)
);

CREATE TABLE categories (
    key    TEXT PRIMARY KEY,
    name   TEXT NOT NULL UNIQUE,
    series TEXT NOT NULL DEFAULT '',
    sort   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE units (
    key          TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    category_key TEXT REFERENCES categories(key),
    area_key     TEXT REFERENCES areas(key),
    static_level INTEGER,
    active       INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX units_category ON units(category_key);

CREATE TABLE people (
    key      TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    unit_key TEXT NOT NULL REFERENCES units(key),
    post     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX people_unit ON people(unit_key);

CREATE TABLE plans (
    key  TEXT PRIMARY KEY,
    year INTEGER NOT NULL,
    name TEXT NOT NULL
);

CREATE TABLE plan_versions (
    plan_key   TEXT NOT NULL REFERENCES plans(key),
    version    INTEGER NOT NULL,
    toml       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    note       TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (plan_key, version)
);
CREATE TRIGGER plan_versions_no_update BEFORE UPDATE ON plan_versions
BEGIN SELECT RAISE(ABORT, 'a plan version is never edited: add a new version'); END;
CREATE TRIGGER plan_versions_no_delete BEFORE DELETE ON plan_versions
BEGIN SELECT RAISE(ABORT, 'a plan version is never deleted: add a new version'); END;

CREATE TABLE periods (
    plan_key  TEXT NOT NULL REFERENCES plans(key),
    period    TEXT NOT NULL,
    status    TEXT NOT NULL,
    opened_ms INTEGER NOT NULL,
    PRIMARY KEY (plan_key, period)
);

-- One value per field; the fields of one indicator may come from several sources.
CREATE TABLE data_values (
    plan_key   TEXT NOT NULL,
    period     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    indicator  TEXT NOT NULL,
    field      TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_ms INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (plan_key, period, subject, indicator, field)
) WITHOUT ROWID;

-- Occurrences (deductions, bonus items, vetoes, demotions), each with its reason.
CREATE TABLE occurrences (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_key    TEXT NOT NULL,
    period      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    indicator   TEXT NOT NULL,
    field       TEXT NOT NULL,
    amount      TEXT,
    reason      TEXT NOT NULL,
    recorded_ms INTEGER NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX occurrences_period ON occurrences(plan_key, period, subject);

CREATE TABLE result_sets (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_key     TEXT NOT NULL,
    period       TEXT NOT NULL,
    plan_version INTEGER NOT NULL,
    computed_ms  INTEGER NOT NULL,
    computed_by  TEXT NOT NULL,
    row_count    INTEGER NOT NULL
);
CREATE INDEX result_sets_period ON result_sets(plan_key, period);

CREATE TABLE result_rows (
    set_id       INTEGER NOT NULL REFERENCES result_sets(id),
    subject      TEXT NOT NULL,
    category     TEXT NOT NULL,
    position     INTEGER NOT NULL,
    score        TEXT,
    rank         INTEGER,
    tied         INTEGER NOT NULL,
    grade        TEXT,
    vetoed       INTEGER NOT NULL,
    lost         TEXT NOT NULL,
    explain_json TEXT NOT NULL,
    PRIMARY KEY (set_id, subject)
) WITHOUT ROWID;
CREATE INDEX result_rows_category ON result_rows(set_id, category, position);
CREATE TRIGGER result_sets_no_update BEFORE UPDATE ON result_sets
BEGIN SELECT RAISE(ABORT, 'computed results are never changed'); END;
CREATE TRIGGER result_sets_no_delete BEFORE DELETE ON result_sets
BEGIN SELECT RAISE(ABORT, 'computed results are never deleted'); END;
CREATE TRIGGER result_rows_no_update BEFORE UPDATE ON result_rows
BEGIN SELECT RAISE(ABORT, 'computed results are never changed'); END;
CREATE TRIGGER result_rows_no_delete BEFORE DELETE ON result_rows
BEGIN SELECT RAISE(ABORT, 'computed results are never deleted'); END;

-- A publication makes a result set visible; a later one supersedes it, with its reason.
CREATE TABLE publications (
    plan_key     TEXT NOT NULL,
    period       TEXT NOT NULL,
    version      INTEGER NOT NULL,
    set_id       INTEGER NOT NULL REFERENCES result_sets(id),
    published_ms INTEGER NOT NULL,
    published_by TEXT NOT NULL,
    reason       TEXT NOT NULL,
    PRIMARY KEY (plan_key, period, version)
);
CREATE TRIGGER publications_no_update BEFORE UPDATE ON publications
BEGIN SELECT RAISE(ABORT, 'a publication is never changed: publish a new version'); END;
CREATE TRIGGER publications_no_delete BEFORE DELETE ON publications
BEGIN SELECT RAISE(ABORT, 'a publication is never deleted: publish a new version'); END;

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    csrf       TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    name       TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
);
