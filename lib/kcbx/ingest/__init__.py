"""Ledgers in: ``ledgers`` reads the files as schools send them (headers, IDs, dates,
encodings, rejected rows); ``county`` ingests a county's folder into its store (what
changed, the writer's lock, the shrink guard)."""
