-- One row per partition: its offsets. Append locks these rows (in key
-- order) for the length of its transaction, which is what keeps offsets
-- dense and unique with many brokers appending. Updated on every Append,
-- so rows leave room for HOT updates.
CREATE TABLE partitions (
    topic_id   uuid NOT NULL,
    partition  integer NOT NULL,
    log_start  bigint NOT NULL DEFAULT 0,
    high_water bigint NOT NULL DEFAULT 0,
    bytes      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (topic_id, partition)
) WITH (fillfactor = 50);
