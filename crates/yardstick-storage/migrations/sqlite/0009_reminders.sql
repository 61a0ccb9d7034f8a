-- E-mail reminders before a deadline (M7). A user's e-mail address (only for reminders),
-- and one row per unit, period and deadline that was reminded, so that a unit is reminded
-- once per deadline however often the reminder round runs (a moved deadline reminds again).
CREATE TABLE user_emails (
    user_id INTEGER PRIMARY KEY REFERENCES users(id),
    email   TEXT NOT NULL,
    set_ms  INTEGER NOT NULL,
    set_by  TEXT NOT NULL
);
CREATE TABLE reminders (
    plan_key   TEXT NOT NULL,
    period     TEXT NOT NULL,
    unit_key   TEXT NOT NULL REFERENCES units(key),
    due_ms     INTEGER NOT NULL,
    sent_ms    INTEGER NOT NULL,
    recipients TEXT NOT NULL,
    PRIMARY KEY (plan_key, period, unit_key, due_ms)
);
