"""The README's commands are the ones that exist: a reader can paste them as they are."""

import re
import shlex

import pytest

from kcbx.cli import build_parser
from support.paths import PROJECT as ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def kcbx_invocations(text: str) -> list[list[str]]:
    """Every `kcbx …` command in the README's shell code blocks, cut at shell operators."""
    blocks = [body for language, body in re.findall(r"```([a-z]*)\n(.*?)```", text, re.S)
              if language != "python"]
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


DOCS = sorted((ROOT / "docs").glob("*.md"))
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def anchors(markdown: str) -> set[str]:
    """The anchors a heading gets on GitHub: lower case, spaces to hyphens, punctuation gone."""
    headings = re.findall(r"^#+\s+(.*)$", markdown, re.M)
    return {re.sub(r"[^\w\- ]", "", heading).strip().lower().replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("page", [ROOT / "README.md", *DOCS], ids=lambda p: p.name)
def test_every_link_to_a_document_resolves_in_the_repository(page):
    text = page.read_text(encoding="utf-8")
    assert "../shared" not in text  # outside the repository: a clone does not have it
    for target in MARKDOWN_LINK.findall(text):
        if re.match(r"[a-z]+://", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.is_file() and ROOT in linked.parents, (page.name, target)
        if anchor:
            assert anchor in anchors(linked.read_text(encoding="utf-8")), (page.name, target)


def test_the_readme_links_the_contract_docs():
    for name in ("ledgers.md", "params.md", "metrics.md", "explore.md"):
        assert f"](docs/{name})" in README


def test_make_lab_takes_params_and_lab_args_and_says_notebooks_are_stripped():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lab = re.search(r"^lab:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "$(LAB_ARGS)" in lab and "KCBX_PARAMS" in lab and "$(PARAMS)" in lab
    assert "stripped" in lab  # the one line that says notebooks go into git without outputs
    assert "ssh -N -L 8888:localhost:8888" in README and "token" in README
