-- DeadObjects reads only the dead ones.
CREATE INDEX objects_dead ON objects (key) WHERE refs = 0;
