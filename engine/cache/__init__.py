"""The cross-run result cache: the protocol, memory, SQLite and PostgreSQL backends, keys,
cache URLs and the lookup a run makes before a node with a ``CachePolicy``."""
