"""The wheel carries templates/, hw/, boards/ and the host drivers, so a non-editable install
works anywhere."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_data_folders(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True)
    wheel = next(tmp_path.glob("fpgagen-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("boards", "hw", "templates"):
        shipped = {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*")
                   if p.is_file()}
        assert shipped, folder
        missing = {p for p in shipped if f"fpgagen/{p}" not in names}
        assert not missing, f"not in the wheel: {sorted(missing)}"
    assert "fpgagen/cli/main.py" in names
    # the host drivers fpgagen build copies into driver/ (non-Python files inside the package)
    for name in ("fpgagen_driver.py", "fpgagen_driver.c", "fpgagen_driver.h",
                 "baremetal/main.c"):
        assert f"fpgagen/driver/{name}" in names, name
    # the trained zoo model and the ImageNet class names (package data files)
    for name in ("models/digits.onnx", "data/imagenet_classes.txt"):
        assert f"fpgagen/{name}" in names, name
