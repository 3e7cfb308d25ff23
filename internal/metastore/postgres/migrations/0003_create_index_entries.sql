-- The log index: offsets [base_offset, last_offset] of a partition live
-- at [pos, pos+size) of object object_key. Entries of a partition never
-- overlap. No foreign keys: the store's transactions keep these rows in
-- step with partitions and objects, and Append would pay for the checks.
CREATE TABLE index_entries (
    topic_id      uuid NOT NULL,
    partition     integer NOT NULL,
    base_offset   bigint NOT NULL,
    last_offset   bigint NOT NULL,
    object_key    text COLLATE "C" NOT NULL,
    pos           bigint NOT NULL,
    size          bigint NOT NULL,
    max_timestamp bigint NOT NULL,
    PRIMARY KEY (topic_id, partition, base_offset)
);
