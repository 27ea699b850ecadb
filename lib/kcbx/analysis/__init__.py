"""From the store's tables to each report's ``Analysis``: the county pass (every
county-wide measure once), attribution to townships, the cut of one township, the
ranking, and metrics.json (docs/metrics.md)."""
