-- Submission discipline (M7). A deadline per period and source: '' is the units' own
-- figures, any other text an indicator's source (a responsible department, as the plan
-- names it in `source`).
CREATE TABLE deadlines (
    plan_key TEXT NOT NULL,
    period   TEXT NOT NULL,
    source   TEXT NOT NULL,
    due_ms   BIGINT NOT NULL,
    set_ms   BIGINT NOT NULL,
    set_by   TEXT NOT NULL,
    PRIMARY KEY (plan_key, period, source),
    FOREIGN KEY (plan_key, period) REFERENCES periods(plan_key, period)
);

-- A unit's submission of a period: submitted by its leader (late when after the units'
-- deadline), then accepted or returned with a reason by the office or a responsible
-- department; a returned submission is open for changes and submitted again. While it is
-- submitted or accepted the unit's values of the period are locked. Every change is in
-- the audit log with the state before and after.
CREATE TABLE submissions (
    plan_key     TEXT NOT NULL,
    period       TEXT NOT NULL,
    unit_key     TEXT NOT NULL REFERENCES units(key),
    status       TEXT NOT NULL CHECK (status IN ('submitted', 'returned', 'accepted')),
    submitted_ms BIGINT NOT NULL,
    submitted_by TEXT NOT NULL,
    late         BIGINT NOT NULL,
    times        BIGINT NOT NULL,
    decided_ms   BIGINT,
    decided_by   TEXT,
    reason       TEXT,
    PRIMARY KEY (plan_key, period, unit_key),
    FOREIGN KEY (plan_key, period) REFERENCES periods(plan_key, period)
);
