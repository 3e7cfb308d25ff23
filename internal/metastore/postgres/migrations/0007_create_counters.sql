-- Durable counters (a row, not a sequence: a sequence's nextval is not
-- made durable by a transaction that writes nothing else, so a crash
-- could hand out a producer ID twice).
CREATE TABLE counters (
    name  text PRIMARY KEY,
    value bigint NOT NULL
);
