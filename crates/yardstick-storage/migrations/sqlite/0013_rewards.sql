-- Rewards (奖励, M12, M14): a period's bonus pool allocated under a reward rule of the plan
-- to the subjects of the period's published results (units, teams, persons), by grade or
-- tier, coefficient and score. An allocation is kept as made, with its lines; allocating
-- the same rule and period again (after a correction was published, or with another pool)
-- makes a new allocation that replaces the old one in the lists, and the old one stays.
CREATE TABLE reward_allocations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_key     TEXT NOT NULL REFERENCES plans(key),
    period       TEXT NOT NULL,
    rule_key     TEXT NOT NULL,
    rule_name    TEXT NOT NULL,
    -- The rule as applied, in words (the plan may change later).
    rule_words   TEXT NOT NULL,
    -- The published result set it pays for.
    set_id       INTEGER NOT NULL,
    -- The pool in fen, or NULL for a rule of fixed amounts.
    pool_cents   INTEGER,
    total_cents  INTEGER NOT NULL,
    note         TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    created_by   TEXT NOT NULL
);
CREATE INDEX reward_allocations_of ON reward_allocations(plan_key, period, rule_key);

CREATE TABLE reward_lines (
    allocation_id INTEGER NOT NULL REFERENCES reward_allocations(id),
    position      INTEGER NOT NULL,
    subject       TEXT NOT NULL,
    subject_name  TEXT NOT NULL,
    -- unit, team, cadre, person … (the registry's kind)
    kind          TEXT NOT NULL,
    -- The unit the subject is (a unit) or served in the period (a person); '' if none.
    unit_key      TEXT NOT NULL,
    category      TEXT NOT NULL,
    grade         TEXT NOT NULL,
    score         TEXT,
    -- The grade's factor (pool) or amount (fixed), the static coefficient if used.
    worth         TEXT NOT NULL,
    coefficient   TEXT,
    amount_cents  INTEGER NOT NULL,
    -- How the amount was reached, in words.
    working       TEXT NOT NULL,
    PRIMARY KEY (allocation_id, position)
);
CREATE INDEX reward_lines_unit ON reward_lines(unit_key);
CREATE INDEX reward_lines_subject ON reward_lines(subject);

-- A person's static coefficient level (岗位系数档): the plan's `coefficients.static_levels`
-- gives its factor, which scores may use (categories with coefficients) and rewards may
-- multiply by (`static_coefficient = true`).
ALTER TABLE people ADD COLUMN static_level INTEGER;
