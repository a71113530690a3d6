"""fpgagen: compile small CNNs to bit-exact fixed-point HLS C++ and Verilog for on-chip FPGAs.

The Python API (docs/api.md): `Design` (``check``, ``predict``, ``build``), `Build`
(``verify``, ``synth``), `evaluate`, `explore` and their result records. They are imported on
first use, so ``import fpgagen`` (and every command) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> the module that defines it (the API layer, fpgagen/api/ and fpgagen/dse/)
_API = {
    "Design": "design", "Build": "design", "CheckResult": "design", "Prediction": "design",
    "Verification": "design", "Synthesis": "design", "Record": "records",
    "evaluate": "evaluation", "Evaluation": "evaluation",
    "explore": "dse", "Exploration": "dse",
    "FpgagenError": "errors",
}
__all__ = ["Build", "CheckResult", "Design", "Evaluation", "Exploration", "FpgagenError",
           "Prediction", "Record", "Synthesis", "Verification", "__version__", "evaluate",
           "explore"]

if TYPE_CHECKING:  # for type checkers and editors; at run time __getattr__ imports them
    from fpgagen.api.design import (
        Build,
        CheckResult,
        Design,
        Prediction,
        Synthesis,
        Verification,
    )
    from fpgagen.api.evaluation import Evaluation, evaluate
    from fpgagen.api.records import Record
    from fpgagen.dse.explore import Exploration, explore
    from fpgagen.errors import FpgagenError


def __getattr__(name: str) -> Any:
    """The API's names, imported on first use (PEP 562)."""
    where = _API.get(name)
    if where == "design":
        from fpgagen.api import design as module
    elif where == "records":
        from fpgagen.api import records as module
    elif where == "evaluation":
        from fpgagen.api import evaluation as module
    elif where == "dse":
        from fpgagen.dse import explore as module
    elif where == "errors":
        from fpgagen import errors as module
    else:
        raise AttributeError(f"module 'fpgagen' has no attribute {name!r}")
    return getattr(module, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
