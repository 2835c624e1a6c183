"""Checkpoint stores: the protocol, memory, SQLite and PostgreSQL, their schemas, rows,
checks, the value codec and store URLs."""
