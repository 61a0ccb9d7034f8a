-- Monitoring and rectification (M14, M15): warning notices made by the plan's rules and
-- notices issued by hand; rectification tasks opened from deductions, vetoes, falsified
-- figures and low grades, tracked from open through the unit's report to the office's
-- closing (or reopening); follow-ups proposed by the consequence rules and confirmed or
-- dismissed by the office. `dedup` makes generation idempotent: a second run for the
-- same period finds its rows already there and creates nothing.
CREATE TABLE notices (
    id         BIGSERIAL PRIMARY KEY,
    plan_key   TEXT NOT NULL REFERENCES plans(key),
    period     TEXT NOT NULL,
    unit_key   TEXT NOT NULL REFERENCES units(key),
    kind       TEXT NOT NULL CHECK (kind IN ('warning', 'notice')),
    indicator  TEXT NOT NULL,
    measure    TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    issued_ms  BIGINT NOT NULL,
    issued_by  TEXT NOT NULL,
    read_ms    BIGINT,
    read_by    TEXT,
    dedup      TEXT UNIQUE
);
CREATE INDEX notices_period ON notices(plan_key, period, unit_key);

CREATE TABLE rectifications (
    id          BIGSERIAL PRIMARY KEY,
    plan_key    TEXT NOT NULL REFERENCES plans(key),
    period      TEXT NOT NULL,
    unit_key    TEXT NOT NULL REFERENCES units(key),
    source      TEXT NOT NULL CHECK (source IN ('deduction', 'veto', 'finding', 'grade', 'notice')),
    source_ref  TEXT NOT NULL,
    problem     TEXT NOT NULL,
    required    TEXT NOT NULL,
    deadline_ms BIGINT NOT NULL,
    opened_ms   BIGINT NOT NULL,
    opened_by   TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'reported', 'closed')),
    report      TEXT,
    reported_ms BIGINT,
    reported_by TEXT,
    decided_ms  BIGINT,
    decided_by  TEXT,
    note        TEXT,
    UNIQUE (plan_key, period, source, source_ref)
);
CREATE INDEX rectifications_period ON rectifications(plan_key, period, unit_key);

CREATE TABLE follow_ups (
    id           BIGSERIAL PRIMARY KEY,
    plan_key     TEXT NOT NULL REFERENCES plans(key),
    period       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    action       TEXT NOT NULL,
    rule         TEXT NOT NULL,
    periods_json TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('proposed', 'confirmed', 'dismissed')),
    created_ms   BIGINT NOT NULL,
    created_by   TEXT NOT NULL,
    decided_ms   BIGINT,
    decided_by   TEXT,
    note         TEXT,
    UNIQUE (plan_key, period, subject, action)
);
CREATE INDEX follow_ups_period ON follow_ups(plan_key, period, subject);
