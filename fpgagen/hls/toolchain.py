"""The C++ toolchain of the HLS core without Vitis: g++, and the Xilinx ``ap_fixed``/``ap_int``
headers, found inside the installed hls4ml package.

hls4ml ships the open-source ap_types headers (``hls4ml/templates/vivado/ap_types``), so
C-simulation and the ap_fixed cross-check need no Vivado/Vitis installation. The package is
located with ``importlib`` without importing it (importing hls4ml is slow and pulls in heavy
optional dependencies).
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from fpgagen.errors import FpgagenError

_SUBDIR = Path("templates", "vivado", "ap_types")


def ap_types_dir() -> Path:
    """The directory holding ``ap_fixed.h``; a one-line error when hls4ml is missing."""
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or not spec.submodule_search_locations:
        raise FpgagenError("the ap_fixed headers come with hls4ml, which is not installed "
                           "(pip install hls4ml)")
    for root in spec.submodule_search_locations:
        path = Path(root) / _SUBDIR
        if (path / "ap_fixed.h").is_file():
            return path
    raise FpgagenError(f"hls4ml is installed but has no {_SUBDIR}/ap_fixed.h")


def include_flags() -> list[str]:
    """Compiler flags that make ``#include <ap_fixed.h>`` work."""
    return [f"-I{ap_types_dir()}"]


def compiler() -> str:
    """The g++ that compiles the C-simulation and the synthesis-branch gates."""
    cxx = shutil.which("g++")
    if cxx is None:
        raise FpgagenError("g++ not found: C-simulation needs a C++ compiler "
                           "(apt-get install g++)")
    return cxx
