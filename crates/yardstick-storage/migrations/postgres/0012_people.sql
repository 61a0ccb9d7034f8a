-- People in the tree (M1, M12): what a person is appraised as (a person, a leading cadre, a
-- leadership team), the category they are compared in (none: not appraised by a plan),
-- their section (科室) and whether they head it; their postings (岗位经历) — which unit,
-- section and post from which month to which — so that a cadre who moves mid-year is
-- appraised by each unit for the months served; and the person a user account is.
ALTER TABLE people ADD COLUMN kind TEXT NOT NULL DEFAULT 'person' CHECK (kind IN ('person', 'cadre', 'team'));
ALTER TABLE people ADD COLUMN category_key TEXT REFERENCES categories(key);
ALTER TABLE people ADD COLUMN section TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN section_head BIGINT NOT NULL DEFAULT 0 CHECK (section_head IN (0, 1));

CREATE TABLE postings (
    id         BIGSERIAL PRIMARY KEY,
    person_key TEXT NOT NULL REFERENCES people(key),
    unit_key   TEXT NOT NULL REFERENCES units(key),
    section    TEXT NOT NULL DEFAULT '',
    post       TEXT NOT NULL DEFAULT '',
    from_month TEXT NOT NULL,
    to_month   TEXT
);
CREATE INDEX postings_person ON postings(person_key, from_month);

ALTER TABLE users ADD COLUMN person_key TEXT REFERENCES people(key);
