-- Named leases (metastore.Cluster), by the database's clock.
CREATE TABLE leases (
    name    text PRIMARY KEY,
    holder  text NOT NULL,
    expires timestamptz NOT NULL
);
