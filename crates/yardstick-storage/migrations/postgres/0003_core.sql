-- The office's registry, plans and their versions, periods, data values, computed and
-- published results, browser sessions and API tokens.
-- Immutable tables (plan versions, result sets and rows, publications) refuse UPDATE and
-- DELETE: a plan in use is superseded by a new version, a publication by a new one with
-- its reason.

CREATE FUNCTION refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0];
END;
$$ LANGUAGE plpgsql;

CREATE TABLE areas (
    key        TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    parent_key TEXT REFERENCES areas(key)
);

CREATE TABLE categories (
    key    TEXT PRIMARY KEY,
    name   TEXT NOT NULL UNIQUE,
    series TEXT NOT NULL DEFAULT '',
    sort   BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE units (
    key          TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    category_key TEXT REFERENCES categories(key),
    area_key     TEXT REFERENCES areas(key),
    static_level BIGINT,
    active       BIGINT NOT NULL DEFAULT 1
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
    year BIGINT NOT NULL,
    name TEXT NOT NULL
);

CREATE TABLE plan_versions (
    plan_key   TEXT NOT NULL REFERENCES plans(key),
    version    BIGINT NOT NULL,
    toml       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    note       TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (plan_key, version)
);
CREATE TRIGGER plan_versions_no_update BEFORE UPDATE ON plan_versions FOR EACH ROW EXECUTE FUNCTION refuse_change('a plan version is never edited: add a new version');
CREATE TRIGGER plan_versions_no_delete BEFORE DELETE ON plan_versions FOR EACH ROW EXECUTE FUNCTION refuse_change('a plan version is never deleted: add a new version');

CREATE TABLE periods (
    plan_key  TEXT NOT NULL REFERENCES plans(key),
    period    TEXT NOT NULL,
    status    TEXT NOT NULL,
    opened_ms BIGINT NOT NULL,
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
    updated_ms BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (plan_key, period, subject, indicator, field)
);

-- Occurrences (deductions, bonus items, vetoes, demotions), each with its reason.
CREATE TABLE occurrences (
    id          BIGSERIAL PRIMARY KEY,
    plan_key    TEXT NOT NULL,
    period      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    indicator   TEXT NOT NULL,
    field       TEXT NOT NULL,
    amount      TEXT,
    reason      TEXT NOT NULL,
    recorded_ms BIGINT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX occurrences_period ON occurrences(plan_key, period, subject);

CREATE TABLE result_sets (
    id           BIGSERIAL PRIMARY KEY,
    plan_key     TEXT NOT NULL,
    period       TEXT NOT NULL,
    plan_version BIGINT NOT NULL,
    computed_ms  BIGINT NOT NULL,
    computed_by  TEXT NOT NULL,
    row_count    BIGINT NOT NULL
);
CREATE INDEX result_sets_period ON result_sets(plan_key, period);

CREATE TABLE result_rows (
    set_id       BIGINT NOT NULL REFERENCES result_sets(id),
    subject      TEXT NOT NULL,
    category     TEXT NOT NULL,
    position     BIGINT NOT NULL,
    score        TEXT,
    rank         BIGINT,
    tied         BIGINT NOT NULL,
    grade        TEXT,
    vetoed       BIGINT NOT NULL,
    lost         TEXT NOT NULL,
    explain_json TEXT NOT NULL,
    PRIMARY KEY (set_id, subject)
);
CREATE INDEX result_rows_category ON result_rows(set_id, category, position);
CREATE TRIGGER result_sets_no_update BEFORE UPDATE ON result_sets FOR EACH ROW EXECUTE FUNCTION refuse_change('computed results are never changed');
CREATE TRIGGER result_sets_no_delete BEFORE DELETE ON result_sets FOR EACH ROW EXECUTE FUNCTION refuse_change('computed results are never deleted');
CREATE TRIGGER result_rows_no_update BEFORE UPDATE ON result_rows FOR EACH ROW EXECUTE FUNCTION refuse_change('computed results are never changed');
CREATE TRIGGER result_rows_no_delete BEFORE DELETE ON result_rows FOR EACH ROW EXECUTE FUNCTION refuse_change('computed results are never deleted');

-- A publication makes a result set visible; a later one supersedes it, with its reason.
CREATE TABLE publications (
    plan_key     TEXT NOT NULL,
    period       TEXT NOT NULL,
    version      BIGINT NOT NULL,
    set_id       BIGINT NOT NULL REFERENCES result_sets(id),
    published_ms BIGINT NOT NULL,
    published_by TEXT NOT NULL,
    reason       TEXT NOT NULL,
    PRIMARY KEY (plan_key, period, version)
);
CREATE TRIGGER publications_no_update BEFORE UPDATE ON publications FOR EACH ROW EXECUTE FUNCTION refuse_change('a publication is never changed: publish a new version');
CREATE TRIGGER publications_no_delete BEFORE DELETE ON publications FOR EACH ROW EXECUTE FUNCTION refuse_change('a publication is never deleted: publish a new version');

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    csrf       TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    name       TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    revoked    BIGINT NOT NULL DEFAULT 0
);
