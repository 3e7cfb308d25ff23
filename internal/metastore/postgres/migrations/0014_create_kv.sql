-- The KV space (metastore.KV): the schema registry's and the Iceberg
-- catalog's records. Keys compare byte-wise (COLLATE "C"), the order
-- KVList promises; version counts the writes since the key was created,
-- and KVApply is a compare-and-swap on it.
CREATE TABLE kv (
    key     text COLLATE "C" PRIMARY KEY,
    version bigint NOT NULL CHECK (version > 0),
    value   bytea NOT NULL
);
