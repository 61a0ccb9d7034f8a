-- Expert panels (专家评审组, M13, seed 004). The office forms a panel for one indicator of
-- a plan in one period: its experts (users with the role `expert`), the units they review
-- on site, and the ties between an expert and a unit (a former employer, a relative) that
-- exclude the expert from scoring that unit. Each expert scores each unit once, with what
-- they saw on site, and may change the score until the panel is closed. Closing fixes the
-- panel's result per unit (kept as JSON); applying it writes the results as the
-- indicator's values through the normal value write. Every step is in the audit log.
CREATE TABLE expert_panels (
    key          TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    plan_key     TEXT NOT NULL REFERENCES plans(key),
    period       TEXT NOT NULL,
    indicator    TEXT NOT NULL,
    field        TEXT NOT NULL,
    max_score    TEXT NOT NULL,
    trim_from    INTEGER NOT NULL,
    spread_flag  TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'closed', 'applied')),
    -- Bumped by every score and tie, so that a write and the closing take the same row.
    revision     INTEGER NOT NULL DEFAULT 0,
    results_json TEXT,
    created_ms   INTEGER NOT NULL,
    created_by   TEXT NOT NULL,
    closed_ms    INTEGER,
    closed_by    TEXT,
    applied_ms   INTEGER,
    applied_by   TEXT
);

CREATE TABLE expert_panel_members (
    panel_key TEXT NOT NULL REFERENCES expert_panels(key),
    username  TEXT NOT NULL,
    PRIMARY KEY (panel_key, username)
);
CREATE INDEX expert_panel_members_of ON expert_panel_members(username);

CREATE TABLE expert_panel_units (
    panel_key TEXT NOT NULL REFERENCES expert_panels(key),
    unit_key  TEXT NOT NULL REFERENCES units(key),
    PRIMARY KEY (panel_key, unit_key)
);

CREATE TABLE expert_panel_ties (
    panel_key   TEXT NOT NULL REFERENCES expert_panels(key),
    username    TEXT NOT NULL,
    unit_key    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    declared_by TEXT NOT NULL,
    declared_ms INTEGER NOT NULL,
    PRIMARY KEY (panel_key, username, unit_key)
);

CREATE TABLE expert_panel_scores (
    panel_key  TEXT NOT NULL REFERENCES expert_panels(key),
    username   TEXT NOT NULL,
    unit_key   TEXT NOT NULL,
    score      TEXT NOT NULL,
    comment    TEXT NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (panel_key, username, unit_key)
);
