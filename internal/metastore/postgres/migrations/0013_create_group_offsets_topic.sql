-- DeleteTopic removes every group's offsets of the topic's name.
CREATE INDEX group_offsets_topic ON group_offsets (topic);
