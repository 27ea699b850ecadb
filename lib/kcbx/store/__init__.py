"""The DuckDB store of one county: ``tables`` writes it once per ingest and loads it;
``readonly`` opens it for every reader (a read-only ATTACH, never a writer's lock)."""
