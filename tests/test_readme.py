"""The README's commands are the ones that exist: a reader can paste them as they are."""

import re
import shlex
from pathlib import Path

import pytest

from kcbx.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def kcbx_invocations(text: str) -> list[list[str]]:
    """Every `kcbx …` command in the README's code blocks, cut at shell operators."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, re.S)
    commands = []
    for line in "\n".join(blocks).splitlines():
        for part in re.split(r"&&|;|\|\||>>|[{}]", line.split("#")[0]):
            words = shlex.split(part.replace("<county>", "demo"))
            for at, word in enumerate(words):
                if word.endswith("bin/kcbx") or word == "kcbx":
                    commands.append(words[at + 1:])
                    break
    return commands


def test_the_readme_shows_ingest_run_and_the_daily_cron_line():
    commands = kcbx_invocations(README)
    assert {c[0] for c in commands} >= {"ingest", "run"}
    assert re.search(r"^0 16 \* \* ", README, re.M), "the 16:00 cron line"
    assert any(c[0] == "run" and "today" in c for c in commands)


@pytest.mark.parametrize("command", kcbx_invocations(README), ids=" ".join)
def test_each_readme_command_parses(command):
    args = build_parser().parse_args(command)  # argparse exits (and fails the test) on a bad option
    assert args.command == command[0]


def test_the_two_commands_are_make_targets_and_ci_runs_the_test_one():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("report", "test"):
        assert f"make {target}" in README
        assert re.search(rf"^{target}:", makefile, re.M)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, re.M)
