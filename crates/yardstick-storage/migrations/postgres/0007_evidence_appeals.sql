-- Evidence files (M7), value corrections (M8) and appeals (M11).

-- A file attached to a unit's indicator of a period (or, with `appeal_id`, to an appeal).
-- The bytes live outside the database as an inert file named by its SHA-256; the row
-- holds the name given, the kind found by content, the size and the hash. A file is
-- withdrawn, never deleted, and only while the unit's values may change.
CREATE TABLE evidence (
    id           BIGSERIAL PRIMARY KEY,
    plan_key     TEXT NOT NULL,
    period       TEXT NOT NULL,
    unit_key     TEXT NOT NULL REFERENCES units(key),
    indicator    TEXT NOT NULL,
    appeal_id    BIGINT,
    file_name    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    uploaded_ms  BIGINT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    withdrawn_ms BIGINT,
    withdrawn_by TEXT,
    FOREIGN KEY (plan_key, period) REFERENCES periods(plan_key, period)
);
CREATE INDEX evidence_unit ON evidence(plan_key, period, unit_key);

-- A change to a value after its submission was accepted: requested with a reason,
-- approved (the value is written in the same transaction) or rejected by the office. The
-- old and the new value both stay here. An appeal's correction is one of these too.
CREATE TABLE corrections (
    id            BIGSERIAL PRIMARY KEY,
    plan_key      TEXT NOT NULL,
    period        TEXT NOT NULL,
    unit_key      TEXT NOT NULL REFERENCES units(key),
    indicator     TEXT NOT NULL,
    field         TEXT NOT NULL,
    old_value     TEXT,
    new_value     TEXT NOT NULL,
    reason        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'rejected')),
    requested_ms  BIGINT NOT NULL,
    requested_by  TEXT NOT NULL,
    decided_ms    BIGINT,
    decided_by    TEXT,
    decision_note TEXT,
    appeal_id     BIGINT,
    FOREIGN KEY (plan_key, period) REFERENCES periods(plan_key, period)
);
CREATE INDEX corrections_unit ON corrections(plan_key, period, unit_key);

-- A deduction, bonus or veto found wrong on appeal is withdrawn, not deleted: it stays
-- readable with who withdrew it and why, and no longer counts.
ALTER TABLE occurrences ADD COLUMN withdrawn_ms BIGINT;
ALTER TABLE occurrences ADD COLUMN withdrawn_by TEXT;
ALTER TABLE occurrences ADD COLUMN withdrawn_reason TEXT;

-- How many days after a publication its units may appeal (set at publication).
CREATE TABLE appeal_windows (
    plan_key TEXT NOT NULL,
    period   TEXT NOT NULL,
    days     BIGINT NOT NULL,
    set_ms   BIGINT NOT NULL,
    set_by   TEXT NOT NULL,
    PRIMARY KEY (plan_key, period),
    FOREIGN KEY (plan_key, period) REFERENCES periods(plan_key, period)
);

-- An appeal of a published result: a unit's leader names an indicator (and, for a
-- recorded deduction, the occurrence) with a reason; the office routes it to the
-- responsible department; the answer (upheld or corrected) has a reason; a correction
-- re-publishes the period as `republished` version.
CREATE TABLE appeals (
    id            BIGSERIAL PRIMARY KEY,
    plan_key      TEXT NOT NULL,
    period        TEXT NOT NULL,
    unit_key      TEXT NOT NULL REFERENCES units(key),
    version       BIGINT NOT NULL,
    indicator     TEXT NOT NULL,
    occurrence_id BIGINT REFERENCES occurrences(id),
    reason        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('filed', 'routed', 'upheld', 'corrected')),
    filed_ms      BIGINT NOT NULL,
    filed_by      TEXT NOT NULL,
    routed_to     TEXT REFERENCES units(key),
    routed_ms     BIGINT,
    routed_by     TEXT,
    answer        TEXT,
    answered_ms   BIGINT,
    answered_by   TEXT,
    republished   BIGINT,
    FOREIGN KEY (plan_key, period) REFERENCES periods(plan_key, period)
);
CREATE INDEX appeals_period ON appeals(plan_key, period);
