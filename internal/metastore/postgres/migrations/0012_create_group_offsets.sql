-- Committed offsets by group and topic name (as Kafka commits them). No
-- foreign key to groups: a group needs no record to hold offsets. The
-- metadata is the client's string, kept as bytes since clients may send
-- any. committed_at is the database's clock, as expiry judges it.
CREATE TABLE group_offsets (
    group_name       text COLLATE "C" NOT NULL,
    topic            text COLLATE "C" NOT NULL,
    partition        integer NOT NULL,
    committed_offset bigint NOT NULL,
    leader_epoch     integer NOT NULL,
    metadata         bytea NOT NULL,
    committed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_name, topic, partition)
);
