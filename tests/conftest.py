"""The demo county, ingested and run once per test session, through the real commands."""

import subprocess
import sys
from pathlib import Path

import pytest
from stdnum.cn import ric

AS_OF = "2021-10-15"

# Ledger text that must stay text: never an Excel formula, never live HTML.
INJECTED = {"cause": "<script>alert(1)</script>", "admin_owner": "=1+1", "edu_owner": "@SUM(A1)"}


def kcbx(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kcbx.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=900)


def _write_injection_case(ledgers: Path, township: str) -> str:
    """One more 劝返 file, as a school might send it, whose cells look like code."""
    body = "452626201001011" + "23"
    child = body + ric.calc_check_digit(body + "0")  # it ignores the last character
    lines = ["身份证号,姓名,乡镇,学校,年级,日期,事件,辍学原因,行政线责任人,教育线责任人",
             f"{child},测试童,{township},测试学校,5,2021-10-08,登记,"
             f"{INJECTED['cause']},{INJECTED['admin_owner']},{INJECTED['edu_owner']}"]
    (ledgers / "劝返" / "注入测试.csv").write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return child


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
    _write_injection_case(root / "build" / "ledgers" / "demo", townships[0])
    again = kcbx("ingest", "--params", str(params), "--quiet", cwd=root)
    assert again.returncode == 0, again.stdout + again.stderr
    run = kcbx("run", "--params", str(params), "--as-of", AS_OF, "--quiet",
               *[arg for t in townships for arg in ("--township", t)], cwd=root)
    assert run.returncode == 0, run.stdout + run.stderr
    return root, townships
