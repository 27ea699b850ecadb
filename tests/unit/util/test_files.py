"""Files are published whole or not at all."""

import os
import stat

import pytest

from kcbx.util.files import replacing, write_text_atomic


def test_text_is_written_whole_with_the_usual_permissions(tmp_path):
    path = tmp_path / "metrics.json"
    write_text_atomic(path, "{}\n")
    write_text_atomic(path, "第二版\n")
    assert path.read_text(encoding="utf-8") == "第二版\n"
    assert os.listdir(tmp_path) == ["metrics.json"]
    # Not mkstemp's 0600: others who may read the folder may read the report.
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_a_failed_write_keeps_the_earlier_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "forms.xlsx"
    path.write_bytes(b"earlier")
    with pytest.raises(RuntimeError), replacing(path) as temporary:
        temporary.write_bytes(b"half")
        raise RuntimeError("killed mid-write")
    assert path.read_bytes() == b"earlier"
    assert os.listdir(tmp_path) == ["forms.xlsx"]
