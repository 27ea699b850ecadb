"""The project's folders and the demo county that `make test` writes and ingests first."""

from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
DEMO_PARAMS = PROJECT / "params" / "demo.yaml"
DEMO_STORE = PROJECT / "build" / "demo.duckdb"
