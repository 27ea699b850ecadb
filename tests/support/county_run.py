"""What the session's county run and the tests that read it share (conftest.py runs it)."""

import subprocess
import sys
from pathlib import Path

import nbformat
from stdnum.cn import ric

AS_OF = "2021-10-15"

# Ledger text that must stay text: never an Excel formula, never live HTML.
INJECTED = {"cause": "<script>alert(1)</script>", "admin_owner": "=1+1", "edu_owner": "@SUM(A1)"}


def kcbx(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kcbx.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=900)


def write_injection_case(ledgers: Path, township: str) -> str:
    """One more 劝返 file, as a school might send it, whose cells look like code."""
    body = "452626201001011" + "23"
    child = body + ric.calc_check_digit(body + "0")  # it ignores the last character
    lines = ["身份证号,姓名,乡镇,学校,年级,日期,事件,辍学原因,行政线责任人,教育线责任人",
             f"{child},测试童,{township},测试学校,5,2021-10-08,登记,"
             f"{INJECTED['cause']},{INJECTED['admin_owner']},{INJECTED['edu_owner']}"]
    (ledgers / "劝返" / "注入测试.csv").write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return child


HANGING_RUN = ("import datetime as dt, sys\nfrom pathlib import Path\nfrom kcbx.params import load_params\n"
               "from kcbx.runner.run import run_county\n"
               "run_county(load_params(sys.argv[1]), dt.date(2021, 10, 15), ['甲镇', '乙镇'], progress=False,\n"
               "           notebooks_dir=Path(sys.argv[2]))")


def start_hanging_run(params_path: Path, notebooks: Path, **popen) -> subprocess.Popen:
    """A run of 甲镇 and 乙镇 in a process of its own whose township notebook sleeps a minute:
    still running when a test stops or kills it (the toy project's notebooks are changed)."""
    source = nbformat.read(notebooks / "township.ipynb", as_version=4)
    source.cells[1].source += "\nimport time\ntime.sleep(60)"
    nbformat.write(source, notebooks / "township.ipynb")
    return subprocess.Popen([sys.executable, "-c", HANGING_RUN, str(params_path), str(notebooks)], **popen)
