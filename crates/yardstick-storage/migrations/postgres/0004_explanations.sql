-- Explanations leave the result rows: a ranking reads small rows only, and an explanation
-- (tens of kilobytes of JSON per subject) is stored compressed beside them, read one at a
-- time. `packed` = 1: DEFLATE-compressed UTF-8 JSON; 0: plain UTF-8 JSON (rows written
-- before this migration). Immutable like the rows they explain.
CREATE TABLE result_explanations (
    set_id  BIGINT NOT NULL REFERENCES result_sets(id),
    subject TEXT NOT NULL,
    packed  BIGINT NOT NULL,
    body    BYTEA NOT NULL,
    PRIMARY KEY (set_id, subject)
);
-- Already compressed: PostgreSQL need not try again.
ALTER TABLE result_explanations ALTER COLUMN body SET STORAGE EXTERNAL;
INSERT INTO result_explanations (set_id, subject, packed, body)
    SELECT set_id, subject, 0, convert_to(explain_json, 'UTF8') FROM result_rows;
ALTER TABLE result_rows DROP COLUMN explain_json;
CREATE TRIGGER result_explanations_no_update BEFORE UPDATE ON result_explanations FOR EACH ROW EXECUTE FUNCTION refuse_change('computed results are never changed');
CREATE TRIGGER result_explanations_no_delete BEFORE DELETE ON result_explanations FOR EACH ROW EXECUTE FUNCTION refuse_change('computed results are never deleted');
