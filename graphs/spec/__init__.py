"""JSON graph specs: the document models, reading and parsing, building a graph from a spec,
dumping a graph to one, their limits and errors, and the registry of named parts."""
