-- Democratic evaluations (民主测评, M12). The office defines an evaluation (who is
-- evaluated, rater groups and their weights, the answers and their values, the ballot
-- rules and flag thresholds, as JSON), issues one-time codes per rater group (stored only as
-- SHA-256), opens it, and closes it. A ballot row holds its group, its channel and its
-- answers and nothing else: no code, no time, no voter, and a random key, so that neither
-- a code nor the order of casting can be linked to a ballot.
CREATE TABLE evaluations (
    key         TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    year        INTEGER NOT NULL,
    config_json TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('draft', 'open', 'closed')),
    ballots     INTEGER NOT NULL DEFAULT 0,
    created_ms  INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    opened_ms   INTEGER,
    closed_ms   INTEGER,
    closed_by   TEXT
);

CREATE TABLE evaluation_codes (
    code_hash      TEXT PRIMARY KEY,
    evaluation_key TEXT NOT NULL REFERENCES evaluations(key),
    rater_group    TEXT NOT NULL,
    batch          INTEGER NOT NULL,
    used           INTEGER NOT NULL DEFAULT 0 CHECK (used IN (0, 1))
);
CREATE INDEX evaluation_codes_of ON evaluation_codes(evaluation_key, rater_group);

CREATE TABLE evaluation_ballots (
    id             TEXT PRIMARY KEY,
    evaluation_key TEXT NOT NULL REFERENCES evaluations(key),
    rater_group    TEXT NOT NULL,
    channel        TEXT NOT NULL CHECK (channel IN ('phone', 'paper')),
    answers_json   TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX evaluation_ballots_of ON evaluation_ballots(evaluation_key);
