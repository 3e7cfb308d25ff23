-- Consumer group records (metastore.Groups). version counts the puts, and
-- PutGroup is a compare-and-swap on it; state is the coordinator's
-- encoding, which the store never reads. updated_at is the database's
-- clock, as expiry judges it.
CREATE TABLE groups (
    name          text COLLATE "C" PRIMARY KEY,
    version       bigint NOT NULL CHECK (version > 0),
    generation    integer NOT NULL,
    protocol_type text NOT NULL,
    kind          text NOT NULL,
    state_name    text NOT NULL,
    state         bytea NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
