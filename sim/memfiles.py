"""Memory-init files for the memory tests: the $readmemh format the compiler writes."""

from __future__ import annotations

import random
from pathlib import Path

# a fixed place (in the checkout, git-ignored), not a temporary one: the path is a parameter of
# the build (INIT_FILE), so a new path each session would be a new build each session
INIT_DIR = Path(__file__).resolve().parent.parent / "sim_build" / "init"


def write_hex(name: str, width: int, words: list[int]) -> Path:
    """Write one hex word per line (zero-padded to the word width) and return the path."""
    path = INIT_DIR / f"{name}.hex"
    path.parent.mkdir(parents=True, exist_ok=True)
    digits = (width + 3) // 4
    path.write_text("".join(f"{w:0{digits}x}\n" for w in words))
    return path


def random_words(seed: int, width: int, depth: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.getrandbits(width) for _ in range(depth)]


def read_hex(path: str) -> list[int]:
    return [int(line, 16) for line in Path(path.strip('"')).read_text().split()]
