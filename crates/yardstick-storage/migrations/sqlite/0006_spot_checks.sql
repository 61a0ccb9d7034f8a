-- Spot checks (M8): a reproducible random draw of a period's submissions for on-site
-- verification. The seed is recorded; the draw orders the population by SHA-256 of
-- "seed:unit" (hex) and takes the first `size`, so anyone can repeat it. A draw is never
-- changed; each drawn unit gets one finding.
CREATE TABLE spot_checks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_key   TEXT NOT NULL,
    period     TEXT NOT NULL,
    seed       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    population INTEGER NOT NULL,
    units_json TEXT NOT NULL,
    drawn_ms   INTEGER NOT NULL,
    drawn_by   TEXT NOT NULL,
    FOREIGN KEY (plan_key, period) REFERENCES periods(plan_key, period)
);
CREATE TABLE spot_findings (
    check_id    INTEGER NOT NULL REFERENCES spot_checks(id),
    unit_key    TEXT NOT NULL,
    finding     TEXT NOT NULL,
    falsified   INTEGER NOT NULL,
    recorded_ms INTEGER NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (check_id, unit_key)
);
