"""`make test` on a bare machine installs what the browser and print tests need (.ci/system-packages)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from support.paths import PROJECT

SCRIPT = PROJECT / ".ci" / "system-packages"


def bare_path(tmp_path: Path, uid: int) -> dict[str, str]:
    """A PATH with no chromium, no LibreOffice, no pdftotext and no fonts, an apt-get that records what it is asked, and
    an `id` that says who we are."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(shutil.which("grep"), bin_dir / "grep")
    tools = {"apt-get": f'echo "$@" >> {tmp_path / "apt.log"}', "fc-list": "exit 0",
             "id": f"echo {uid}"}
    for name, body in tools.items():
        (bin_dir / name).write_text(f"#!/bin/bash\n{body}\n")
        (bin_dir / name).chmod(0o755)
    return {"PATH": str(bin_dir)}


PACKAGES = "chromium fonts-noto-cjk libreoffice-calc-nogui poppler-utils fonts-crosextra-carlito"


def test_root_installs_chromium_libreoffice_and_the_fonts(tmp_path):
    done = subprocess.run(["/bin/bash", str(SCRIPT)], env=bare_path(tmp_path, uid=0),
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    calls = (tmp_path / "apt.log").read_text().splitlines()
    assert calls == ["update -qq",
                     f"install -y -qq --no-install-recommends {PACKAGES}"]


def test_without_root_or_sudo_it_stops_with_the_command_to_run(tmp_path):
    done = subprocess.run(["/bin/bash", str(SCRIPT)], env=bare_path(tmp_path, uid=1000),
                          capture_output=True, text=True)
    assert done.returncode == 1 and not (tmp_path / "apt.log").exists()
    assert done.stderr.strip().endswith(f"run:  sudo apt-get install {PACKAGES}")


def test_nothing_is_installed_when_all_are_there():
    # This machine has them (the suite's browser and print tests need them).
    done = subprocess.run(["/bin/bash", str(SCRIPT)], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == ""
