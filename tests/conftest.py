"""The demo county, ingested and run once per test session, through the real commands."""

import pytest

from support.county_run import AS_OF, kcbx, write_injection_case


@pytest.fixture(scope="session")
def county_run(tmp_path_factory):
    """demo → ingest → (one more file) → ingest again → run two townships and the county."""
    root = tmp_path_factory.mktemp("county")
    assert kcbx("demo", "--out", str(root), cwd=root).returncode == 0
    params = root / "params" / "demo.yaml"
    first = kcbx("ingest", "--params", str(params), "--quiet", cwd=root)
    assert first.returncode == 0, first.stdout + first.stderr
    towns = kcbx("townships", "--params", str(params), "--as-of", AS_OF, cwd=root)
    townships = towns.stdout.split()[:2]
    assert len(townships) == 2, towns.stdout
    write_injection_case(root / "build" / "ledgers" / "demo", townships[0])
    again = kcbx("ingest", "--params", str(params), "--quiet", cwd=root)
    assert again.returncode == 0, again.stdout + again.stderr
    run = kcbx("run", "--params", str(params), "--as-of", AS_OF, "--quiet",
               *[arg for t in townships for arg in ("--township", t)], cwd=root)
    assert run.returncode == 0, run.stdout + run.stderr
    return root, townships
