"""Every shell command of the board guide (docs/boards.md) and of the README's set-up and
five-minute tour, parsed from their fenced ``sh`` blocks and run:

- ``fpgagen models|boards|info|check``: run as written;
- ``fpgagen build``: the digits model on the PYNQ-Z2 as written (seconds); a SqueezeNet build
  at ``check`` level, the same arguments without ``-o`` (a build first runs that check and
  refuses what it refuses; the whole ZC706 build is what tests/test_hls.py and test_rtl.py
  make, and the KV260's is built here in a slow test);
- ``vivado -mode batch -source B/system/build.tcl``: in tclsh with every Vivado command stubbed
  (tests/tcl_stub.py), on the build made here; for a build made at check level, the script it
  names must be that build's (test_system.py runs every Zynq board's script);
- the rest is listed below with why it is not run here (installing, the test suite itself, and
  commands whose own tests run them: verify, eval, synth, explore).
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from tcl_stub import SYSTEM, find_tclsh, run_tcl

from fpgagen.cli.main import main
from fpgagen.system.blockdesign import BITSTREAM, HWH, XSA

REPO = Path(__file__).resolve().parent.parent
BOARDS_MD = REPO / "docs/boards.md"
README = REPO / "README.md"
# README sections whose commands a new user runs first
README_SECTIONS = ("## Set-up", "## A five-minute tour")
# not run here, and why
NOT_RUN = {
    "python3": "creates the virtual environment (installing)",
    ".": "activates it (installing)",
    "pip": "installs fpgagen (installing)",
    "ruff": "the developer loop: lint",
    "pytest": "the developer loop: the test suite itself",
}
NOT_RUN_FPGAGEN = {
    "verify": "tests/test_hls.py (C-sim) and tests/test_rtl.py (Verilator), minutes each",
    "eval": "tests/test_eval.py",
    "synth": "tests/test_synth.py",
    "explore": "tests/test_explore.py",
}
FAST = ("models", "boards", "info", "check")


def sh_blocks(text: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", text, re.S | re.M)


def section(text: str, heading: str) -> str:
    start = text.index(heading + "\n")
    nxt = re.search(r"^## ", text[start + len(heading):], re.M)
    return text[start:start + len(heading) + (nxt.start() if nxt else len(text))]


def commands(blocks: list[str]) -> list[list[str]]:
    """Each command of the blocks as argv: comments dropped, ``&&`` chains split."""
    out = []
    for block in blocks:
        for line in block.splitlines():
            for part in line.split("&&"):
                argv = shlex.split(part, comments=True)
                if argv:
                    out.append(argv)
    return out


def guide_commands() -> list[list[str]]:
    return commands(sh_blocks(BOARDS_MD.read_text()))


def readme_commands() -> list[list[str]]:
    text = README.read_text()
    return commands([b for h in README_SECTIONS for b in sh_blocks(section(text, h))])


def is_digits_build(argv: list[str]) -> bool:
    return argv[:2] == ["fpgagen", "build"] and "digits" in argv


def out_of(argv: list[str]) -> str | None:
    for flag in ("-o", "--out"):
        if flag in argv:
            return argv[argv.index(flag) + 1]
    return None


def at_check_level(argv: list[str]) -> list[str]:
    """``fpgagen build ARGS`` -> ``check ARGS`` without the output options."""
    args, skip = [], False
    for a in argv[2:]:
        if skip:
            skip = False
        elif a in ("-o", "--out"):
            skip = True
        elif a not in ("-f", "--force"):
            args.append(a)
    return ["check", *args, "-q"]


def test_the_guide_has_a_block_per_board():
    boards = {a[a.index("--board") + 1] for a in guide_commands() if "--board" in a}
    assert boards == {"pynq-z2", "zc706", "zcu102", "kv260"}
    kinds = {(a[0], a[1] if a[0] == "fpgagen" else "") for a in guide_commands()}
    assert kinds == {("fpgagen", "check"), ("fpgagen", "build"), ("vivado", "")}


def test_readme_commands_are_run_or_say_why_not():
    for argv in readme_commands():
        if argv[0] == "fpgagen":
            assert argv[1] in (*FAST, "build", *NOT_RUN_FPGAGEN), argv
        else:
            assert argv[0] in NOT_RUN, argv


@contextlib.contextmanager
def _in(folder: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(old)


@pytest.fixture(scope="module")
def guide_dir(tmp_path_factory) -> Path:
    """A folder where the guide's digits build ran as written (shared by the tests)."""
    folder = tmp_path_factory.mktemp("guide")
    build = next(a for a in guide_commands() if is_digits_build(a))
    with _in(folder):
        assert main([*build[1:], "-q"]) == 0
    return folder


def _run_fpgagen(argv: list[str]) -> int:
    if argv[1] == "build":  # the digits build ran in guide_dir
        return main(at_check_level(argv))
    return main([*argv[1:], *(["-q"] if argv[1] == "check" else [])])


@pytest.mark.parametrize("where", ["guide", "readme"])
def test_fpgagen_commands_run(where, guide_dir, monkeypatch, capsys):
    monkeypatch.chdir(guide_dir)
    argvs = guide_commands() if where == "guide" else readme_commands()
    ran = 0
    for argv in argvs:
        if argv[0] != "fpgagen" or argv[1] in NOT_RUN_FPGAGEN:
            continue
        assert _run_fpgagen(argv) == 0, (argv, capsys.readouterr())
        ran += 1
    assert ran >= (8 if where == "guide" else 5)
    if where == "guide":  # the digits build was made as written
        out = guide_dir / "build" / "digits-pynq-z2"
        assert (out / "report.md").is_file() and (out / "driver" / "baremetal").is_dir()


def test_vivado_commands_run_under_the_stub(guide_dir, monkeypatch):
    monkeypatch.chdir(guide_dir)
    tclsh = find_tclsh()
    builds = {out_of(a): a for a in guide_commands() if a[:2] == ["fpgagen", "build"]}
    vivado = [a for a in guide_commands() if a[0] == "vivado"]
    assert len(vivado) == len(builds) == 4
    for argv in vivado:
        assert argv[1:5] == ["-mode", "batch", "-source", argv[4]]
        script = Path(argv[4])
        build = str(script.parent.parent)
        assert script.parts[-2:] == ("system", "build.tcl") and build in builds, argv
        if not is_digits_build(builds[build]):
            continue  # a check-level build: test_system.py runs every Zynq board's script
        tclargs = argv[argv.index("-tclargs") + 1:] if "-tclargs" in argv else []
        run = run_tcl(tclsh, guide_dir / script, guide_dir, guide_dir / "t", commands=SYSTEM,
                      argv=tuple(tclargs))
        assert run.code == 0, run.output
        for name in (BITSTREAM, HWH, XSA):
            assert (script.parent / "vivado_out" / name).is_file(), name


@pytest.mark.slow
def test_kv260_build_as_written(tmp_path, monkeypatch):
    """The KV260 block as written: a whole SqueezeNet build with run-time weights, then its
    Vivado command under the stub."""
    monkeypatch.chdir(tmp_path)
    block = [a for a in guide_commands() if "kv260" in a or "build/sq-kv260" in " ".join(a)]
    build = next(a for a in block if a[:2] == ["fpgagen", "build"])
    assert main([*build[1:], "-q"]) == 0
    out = Path(out_of(build))
    app = out / "driver" / "baremetal"
    assert "loads the embedded `weights.bin`" in (app / "README.md").read_text()
    assert "fpgagen_app_weights[FPGAGEN_WEIGHTS_BYTES]" in (app / "fpgagen_app_data.h").read_text()
    vivado = next(a for a in block if a[0] == "vivado")
    run = run_tcl(find_tclsh(), tmp_path / vivado[4], tmp_path, tmp_path / "t", commands=SYSTEM)
    assert run.code == 0, run.output
    assert (out / "system" / "vivado_out" / BITSTREAM).is_file()
