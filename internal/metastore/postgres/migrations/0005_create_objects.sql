-- Objects the index knows: refs counts the index entries pointing into
-- one; refs = 0 is a dead object, listed by DeadObjects until forgotten.
CREATE TABLE objects (
    key  text COLLATE "C" PRIMARY KEY,
    refs bigint NOT NULL CHECK (refs >= 0),
    size bigint NOT NULL
);
