SELECT name, version, generation, protocol_type, kind, state_name, state, updated_at
FROM groups WHERE name = $1
