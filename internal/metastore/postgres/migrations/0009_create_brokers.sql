-- Broker registrations (metastore.Cluster). A row outlives its expiry
-- until another instance reclaims the node ID; expiry is judged by the
-- database's clock, now().
CREATE TABLE brokers (
    node_id  integer PRIMARY KEY CHECK (node_id >= 0),
    instance text NOT NULL,
    host     text NOT NULL,
    port     integer NOT NULL,
    rack     text NOT NULL,
    expires  timestamptz NOT NULL
);
