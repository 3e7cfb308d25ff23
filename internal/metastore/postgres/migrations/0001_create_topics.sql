-- Topics by name and by ID. Names and object keys sort byte-wise
-- (COLLATE "C"), as Kafka names are ASCII and as boltstore sorts them,
-- whatever the database's default collation.
CREATE TABLE topics (
    id         uuid PRIMARY KEY,
    name       text COLLATE "C" NOT NULL UNIQUE,
    partitions integer NOT NULL CHECK (partitions > 0),
    configs    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
