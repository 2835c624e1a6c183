"""Memory a node reads and writes through the run context: conversation threads."""
