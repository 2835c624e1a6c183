"""Checkpoint stores: the protocol, memory, SQLite, PostgreSQL and Redis, their schemas, rows,
checks, the value codec and store URLs."""
