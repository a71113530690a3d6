"""A missing simulator fails a run that selected simulation tests, at collection, saying what to
install; it never skips them (sim/conftest.py, tests/conftest.py). The simulator is hidden from
a child pytest by a package of the same name first on its path, whose import fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _collect(tmp_path: Path, hide: str, *args: str) -> subprocess.CompletedProcess:
    shadow = tmp_path / "shadow"
    pkg = shadow / hide.split(".")[0]
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(f"raise ImportError('hidden by the test', name={hide!r})\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(shadow), str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "--collect-only", "-q", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(("hide", "path"), [("cocotb", "sim/test_rtlsim.py"),
                                            ("cocotb", "sim/fg_count"),
                                            ("cocotbext", "sim/test_rtlsim.py")])
def test_sim_tests_without_the_simulator_are_an_error(tmp_path, hide, path):
    res = _collect(tmp_path, hide, path)
    assert res.returncode == 4, res.stdout + res.stderr   # pytest's usage error, not 0 or 5
    assert res.stderr.startswith("ERROR: the RTL simulation tests in ")
    assert "cannot run" in res.stderr and "install the sim extra (pip install" in res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    assert "skipped" not in res.stdout


def test_needs_sim_tests_without_the_simulator_are_an_error(tmp_path):
    res = _collect(tmp_path, "cocotb", "tests/test_rtl.py")
    assert res.returncode == 4, res.stdout + res.stderr
    assert "tests marked needs_sim cannot run: RTL simulation needs cocotb 2" in res.stderr
    assert "pip install 'fpgagen[sim]'" in res.stderr


def test_deselected_sim_tests_do_not_need_the_simulator(tmp_path):
    res = _collect(tmp_path, "cocotb", "tests/test_rtl.py", "-m", "not needs_sim")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "test_build_writes_a_self_contained_rtl_folder" in res.stdout
