-- The append-only, hash-chained audit log. Each row's hash covers the previous row's hash,
-- so a row changed or deleted behind the system's back breaks the chain.
CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    at_ms       BIGINT NOT NULL,
    actor       TEXT   NOT NULL,
    action      TEXT   NOT NULL,
    entity      TEXT   NOT NULL,
    entity_id   TEXT   NOT NULL,
    before_json TEXT,
    after_json  TEXT,
    prev_hash   TEXT   NOT NULL,
    hash        TEXT   NOT NULL UNIQUE
);

CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
