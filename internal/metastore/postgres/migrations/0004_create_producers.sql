-- Idempotent producer state per (partition, producer): the epoch and the
-- last metastore.MaxCachedBatches batches, encoded as n × (first sequence
-- int32, last sequence int32, base offset int64), big-endian.
CREATE TABLE producers (
    topic_id    uuid NOT NULL,
    partition   integer NOT NULL,
    producer_id bigint NOT NULL,
    epoch       smallint NOT NULL,
    batches     bytea NOT NULL,
    PRIMARY KEY (topic_id, partition, producer_id)
) WITH (fillfactor = 70);
