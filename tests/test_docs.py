"""The documentation against the code, fast and without tools.

- every ``fpgagen <command> --option`` written in README.md, docs/*.md, hw/README.md and
  sim/README.md is an option of that command's parser, and docs/reference.md has one option
  table per command that lists exactly the parser's options;
- the boards table of docs/boards.md (resources, the DSP-sized engine, SqueezeNet 1.1 w8a8's
  engine and verdict) and the estimated cycles of docs/hardware.md are what the planner gives;
- no file of the repository cites a Markdown file that is not in it (the design document is
  docs/design.md), and every ``docs/design.md §N (Name)`` names a section that exists;
- README.md stays under 250 lines and its two set-up commands are the main job and what CI runs;
- the relative links of the docs resolve to files, and their anchors to headings.
"""

from __future__ import annotations

import argparse
import functools
import re
import subprocess
from pathlib import Path

import pytest

from fpgagen.cli.main import build_parser
from fpgagen.frontend.zoo import load_model
from fpgagen.plan.boards import all_boards
from fpgagen.plan.budget import judge
from fpgagen.plan.engine import dsp_engine
from fpgagen.plan.plan import Plan, make_plan
from fpgagen.quant.precision import parse_precision

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
DOCS = sorted((REPO / "docs").glob("*.md"))
USER_DOCS = [README, *DOCS]
ALL_DOCS = [*USER_DOCS, REPO / "hw" / "README.md", REPO / "sim" / "README.md"]
REFERENCE = REPO / "docs/reference.md"
DESIGN = REPO / "docs/design.md"

# commands the docs describe that land from another branch: checked as soon as the parser has
# them, skipped until then
PENDING_COMMANDS: set[str] = set()
# Markdown files a build writes (cited by sources and docs, never in the repository)
GENERATED_MD = {"report.md", ".report.md"}


# --- helpers ---------------------------------------------------------------------------------

@functools.cache
def subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("fpgagen's parser has no subcommands")


def options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """Option string -> its action (help included)."""
    return {s: a for a in parser._actions for s in a.option_strings}


def code_snippets(text: str) -> list[str]:
    """The code of a Markdown text: every line of a fenced or indented block, every inline
    code span elsewhere."""
    out: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced or line.startswith("    "):
            out.append(line)
        else:
            out += re.findall(r"`([^`\n]+)`", line)
    return out


_COMMAND = re.compile(r"(?:^|[\s(])fpgagen\s+([a-z][a-z-]*)\b(.*)")
_OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


def commands_in(text: str) -> list[tuple[str, list[str], str]]:
    """Every ``fpgagen <command> ...`` of the code in ``text``: (command, the options written
    after it up to a shell separator or comment, the snippet)."""
    found = []
    for snippet in code_snippets(text):
        plain = snippet.replace("\\|", "/")  # an escaped pipe in a table: alternatives
        for segment in re.split(r"&&|;|\||#", plain):
            m = _COMMAND.search(segment)
            if m:
                found.append((m.group(1), _OPTION.findall(m.group(2)), snippet))
    return found


def markdown_tables(text: str) -> list[tuple[str, list[list[str]]]]:
    """Every table of a Markdown text: (the heading it sits under, its rows as cell lists,
    the header row first)."""
    tables: list[tuple[str, list[list[str]]]] = []
    heading, rows = "", []
    for line in [*text.splitlines(), ""]:
        if line.startswith("#"):
            heading = line
        if line.startswith("|"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                rows.append(cells)
        elif rows:
            tables.append((heading, rows))
            rows = []
    return tables


def sections(text: str, level: str = "## ") -> dict[str, str]:
    """Heading line -> the text under it, up to the next heading of that level or above."""
    out: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("#") and len(line) - len(line.lstrip("#")) <= len(level) - 1:
            current = line if line.startswith(level) else None
            if current:
                out[current] = ""
            continue
        if current:
            out[current] += line + "\n"
    return out


def slug(heading: str) -> str:
    """GitHub's anchor of a heading line."""
    text = re.sub(r"<[^>]+>", "", heading.lstrip("#").strip())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text).replace("`", "").lower()
    return re.sub(r"[^\w\- ]", "", text).strip().replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = path.read_text()
    seen: dict[str, int] = {}
    out = set(re.findall(r'<a id="([^"]+)"', text))
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,6} ", line):
            s = slug(line)
            out.add(s if s not in seen else f"{s}-{seen[s]}")
            seen[s] = seen.get(s, 0) + 1
    return out


def tracked_files() -> list[Path]:
    """The repository's files: git's list when there is one, else every file but caches."""
    try:
        names = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                               check=True).stdout.split()
        files = [REPO / n for n in names]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "__pycache__", "sim_build", "build", ".pytest_cache"}
        files = [p for p in REPO.rglob("*") if p.is_file() and not skip & set(p.parts)]
    return [f for f in files if f.is_file()]


@functools.cache
def tracked_texts() -> tuple[tuple[Path, str], ...]:
    """Every text file of the repository with its text (binary files left out)."""
    out = []
    for path in tracked_files():
        try:
            out.append((path, path.read_text(encoding="utf-8")))
        except (UnicodeDecodeError, OSError):
            continue
    return tuple(out)


@functools.cache
def default_plan(board: str) -> Plan:
    """SqueezeNet 1.1 at w8a8 on ``board`` with the default engine, as ``fpgagen check`` plans
    it (fpgagen/cli/check.py `check_design`)."""
    return make_plan(load_model("squeezenet1_1"), all_boards()[board], parse_precision("8"))


def number(cell: str) -> int:
    return int(cell.replace(",", "").replace("`", ""))


# --- (a) options -----------------------------------------------------------------------------

@pytest.mark.parametrize("doc", ALL_DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_documented_options_exist(doc: Path) -> None:
    parsers = subparsers()
    found = commands_in(doc.read_text())
    bad = []
    for command, opts, snippet in found:
        if command not in parsers:
            if command not in PENDING_COMMANDS:
                bad.append(f"`fpgagen {command}` is not a command: {snippet!r}")
            continue
        known = options(parsers[command])
        bad += [f"`fpgagen {command}` has no option {o}: {snippet!r}"
                for o in opts if o not in known]
    assert not bad, "\n".join(bad)


def test_the_option_scan_sees_the_tour() -> None:
    """The scan finds commands and their options (a scan that finds nothing passes vacuously)."""
    found = {(c, o) for c, opts, _ in commands_in(README.read_text()) for o in opts}
    assert {("build", "--board"), ("verify", "--rtl"), ("eval", "--data")} <= found


def reference_option_tables() -> dict[str, list[list[str]]]:
    """docs/reference.md: command -> the rows of its option table."""
    out = {}
    for heading, body in sections(REFERENCE.read_text()).items():
        m = re.match(r"## `fpgagen ([a-z-]+)`", heading)
        if not m:
            continue
        tables = [rows for _, rows in markdown_tables(body) if rows[0][0] == "option"]
        assert tables, f"docs/reference.md, {heading}: no option table"
        out[m.group(1)] = tables[0][1:]
    return out


def test_reference_lists_every_option_of_every_command() -> None:
    parsers = subparsers()
    tables = reference_option_tables()
    assert set(parsers) <= set(tables), f"undocumented commands: {set(parsers) - set(tables)}"
    assert set(tables) <= set(parsers) | PENDING_COMMANDS, (
        f"documented commands that do not exist: {set(tables) - set(parsers)}")
    for command, rows in tables.items():
        if command not in parsers:
            continue
        parser = parsers[command]
        known = options(parser)
        positionals = {(a.metavar or a.dest) for a in parser._actions if not a.option_strings}
        documented: set[int] = set()
        for row in rows:
            names = re.findall(r"`([^`]+)`", row[0])
            flags = [n.split()[0] for n in names if n.startswith("-")]
            for n in names:
                if not n.startswith("-"):
                    assert n in positionals, f"{command}: {n} is not an argument"
            for f in flags:
                assert f in known, f"docs/reference.md: `fpgagen {command}` has no option {f}"
            assert len({id(known[f]) for f in flags}) <= 1, f"{command}: {flags}: two options"
            documented |= {id(known[f]) for f in flags}
        missing = sorted(a.option_strings[-1] for a in parser._actions
                         if a.option_strings and id(a) not in documented
                         and not isinstance(a, argparse._HelpAction))
        assert not missing, f"docs/reference.md, fpgagen {command}: options not listed: {missing}"


# --- (b) boards and engines ------------------------------------------------------------------

def boards_table() -> dict[str, dict[str, str]]:
    text = (REPO / "docs/boards.md").read_text()
    rows = next(rows for heading, rows in markdown_tables(text) if heading == "## Boards")
    header = rows[0]
    return {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}


def test_boards_table_is_the_code() -> None:
    table = boards_table()
    boards = all_boards()
    assert set(table) == set(boards)
    for name, b in boards.items():
        row = table[name]
        assert row["part"] == b.part, name
        assert [a.strip() for a in row["aliases"].split(",") if a.strip()] == list(b.aliases)
        assert (number(row["BRAM36"]), number(row["URAM"]), number(row["DSP"])) == (
            b.bram36, b.uram, b.dsp), name
        assert row["DSP slice"] == b.dsp_slice, name
        assert float(row["clock MHz"]) == b.clock_mhz, name
        assert row["DSP-sized engine"] == str(dsp_engine(b)), name


def test_documented_default_engines_are_the_planners() -> None:
    """The SqueezeNet 1.1 w8a8 engine and verdict per board, as `make_plan` picks them."""
    for name, row in boards_table().items():
        plan = default_plan(name)
        cell = row["SqueezeNet 1.1 engine"]
        assert cell.split(",")[0].strip() == str(plan.engine), (name, cell, str(plan.engine))
        assert ("two MACs per DSP" in cell) == plan.engine.pack, (name, cell)
        assert row["SqueezeNet 1.1 fits"] == ("yes" if judge(plan).fits else "no"), name


def test_documented_cycle_estimates_are_the_planners() -> None:
    text = (REPO / "docs/hardware.md").read_text()
    rows = next(rows for _, rows in markdown_tables(text)
                if rows[0][:3] == ["board", "engine", "latency cycles"])
    assert len(rows) > 1
    for row in rows[1:]:
        plan = default_plan(row[0])
        assert row[1].split(",")[0] == str(plan.engine), row
        assert number(row[2]) == plan.total_cycles, row
        assert float(row[3]) == round(plan.fps, 1), row
        assert number(row[4]) == plan.streaming_cycles, row
        assert float(row[5]) == round(plan.streaming_fps, 1), row


# --- (c) citations ---------------------------------------------------------------------------

_MD_PATH = re.compile(r"(?<![\w./:-])([\w./-]*\w\.md)(?!\.?\w)")
_SECTION = re.compile(r"design\.md\s*§\s*(\d+)(?:\s*\(([^)\n]+)\))?")


def design_sections() -> dict[str, str]:
    """docs/design.md: section number -> title (``## 2. Fixed point``)."""
    return dict(re.findall(r"^## (\d+)\. (.+)$", DESIGN.read_text(), re.M))


def test_cited_markdown_files_exist() -> None:
    bad = []
    for path, text in tracked_texts():
        for m in _MD_PATH.finditer(text):
            cited = m.group(1)
            if Path(cited).name in GENERATED_MD:
                continue
            if not ((REPO / cited).is_file() or (path.parent / cited).is_file()):
                line = text.count("\n", 0, m.start()) + 1
                bad.append(f"{path.relative_to(REPO)}:{line} cites {cited}, which is not in "
                           "the repository")
    assert not bad, "\n".join(bad)


def test_cited_design_sections_exist() -> None:
    titles = design_sections()
    assert len(titles) >= 6
    bad = []
    for path, text in tracked_texts():
        for m in _SECTION.finditer(text):
            number_, name = m.group(1), m.group(2)
            where = f"{path.relative_to(REPO)}:{text.count(chr(10), 0, m.start()) + 1}"
            if number_ not in titles:
                bad.append(f"{where}: docs/design.md has no section {number_}")
            elif name is not None and name != titles[number_]:
                bad.append(f"{where}: section {number_} is {titles[number_]!r}, not {name!r}")
    assert not bad, "\n".join(bad)


# --- (d) the README --------------------------------------------------------------------------

def test_readme_is_short() -> None:
    assert len(README.read_text().splitlines()) < 250


def test_readme_set_up_is_the_main_job_and_ci() -> None:
    text = README.read_text()
    assert ("python3 -m venv .venv && . .venv/bin/activate && pip install . && "
            "fpgagen build --board zynq --model squeezenet") in text
    ci = [ln.strip() for ln in (REPO / ".ci" / "run").read_text().splitlines()
          if ln.strip().startswith("pip install") and "pytest" in ln]
    assert len(ci) == 1, ci
    assert ci[0].replace("pip install -q ", "pip install ") in text


# --- (e) links -------------------------------------------------------------------------------

@pytest.mark.parametrize("doc", ALL_DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve(doc: Path) -> None:
    bad = []
    text = re.sub(r"```.*?```", "", doc.read_text(), flags=re.S)
    for target in re.findall(r"\[[^\]]*\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        dest = (doc.parent / file_part).resolve() if file_part else doc
        if not dest.exists():
            bad.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            bad.append(f"{target}: no heading with anchor #{anchor} in {dest.name}")
    assert not bad, f"{doc.relative_to(REPO)}:\n" + "\n".join(bad)


# a minimum Vivado / Vitis HLS release, as written in a doc or a template ("Vivado 2019.2 or
# later", "Vitis HLS {{ tool_version }} or newer", "Vivado 2020.2+")
_TOOL_MINIMUM = re.compile(r"\b(?:Vitis HLS|Vivado|Vitis)\s+(\d{4}\.\d|\{\{ tool_version \}\})"
                           r"(?:\s+or\s+(?:later|newer)|\+)")


def test_one_minimum_tool_version_everywhere() -> None:
    """Every minimum Vivado / Vitis HLS release the docs and the generated files state is the
    one the generators render (MIN_TOOL_VERSION): the HLS core needs it, and the system build
    packages that core."""
    from fpgagen.util.templating import MIN_TOOL_VERSION

    texts = [*ALL_DOCS, *sorted((REPO / "templates").rglob("*.j2"))]
    found = {(p.relative_to(REPO).as_posix(), m.group(1)) for p in texts
             for m in _TOOL_MINIMUM.finditer(p.read_text())}
    assert {v for _, v in found} <= {MIN_TOOL_VERSION, "{{ tool_version }}"}, sorted(found)
    assert any(v == MIN_TOOL_VERSION for _, v in found)  # the docs state it
    assert {f for f, _ in found} >= {"docs/boards.md", "templates/hls/run_hls.tcl.j2",
                                     "templates/system/build.tcl.j2"}
