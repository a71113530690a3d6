"""JUnit XML, the format every CI system (GitHub Actions reporters, GitLab, Jenkins) displays.

One ``<testsuite>`` per checked design and one ``<testcase>`` per check; a failed check carries
a ``<failure>``, a check that was not judged (block counts under ``--budget``) a ``<skipped>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fpgagen.errors import FpgagenError


@dataclass(frozen=True)
class Case:
    """One test case: passed unless ``failure`` is set; ``skipped`` when not judged."""

    name: str
    classname: str
    failure: str | None = None
    skipped: str | None = None
    output: str = ""


@dataclass(frozen=True)
class Suite:
    name: str
    cases: tuple[Case, ...] = field(default_factory=tuple)


def to_xml(suites: Sequence[Suite], name: str = "fpgagen") -> str:
    """The JUnit document as a string (UTF-8, with the XML declaration)."""
    fails = sum(c.failure is not None for s in suites for c in s.cases)
    skips = sum(c.skipped is not None for s in suites for c in s.cases)
    root = ET.Element("testsuites", name=name, tests=str(sum(len(s.cases) for s in suites)),
                      failures=str(fails), errors="0", skipped=str(skips))
    for s in suites:
        el = ET.SubElement(root, "testsuite", name=s.name, tests=str(len(s.cases)),
                           failures=str(sum(c.failure is not None for c in s.cases)),
                           errors="0",
                           skipped=str(sum(c.skipped is not None for c in s.cases)))
        for c in s.cases:
            tc = ET.SubElement(el, "testcase", name=c.name, classname=c.classname, time="0")
            if c.failure is not None:
                ET.SubElement(tc, "failure", message=c.failure, type="BudgetExceeded").text = (
                    c.failure)
            elif c.skipped is not None:
                ET.SubElement(tc, "skipped", message=c.skipped)
            if c.output:
                ET.SubElement(tc, "system-out").text = c.output
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(path: str | Path, suites: Sequence[Suite], name: str = "fpgagen") -> None:
    """Write the JUnit file; an unwritable path is a user error (one line, exit 2)."""
    try:
        Path(path).write_text(to_xml(suites, name), encoding="utf-8")
    except OSError as exc:
        raise FpgagenError(f"cannot write JUnit file {path}: {exc.strerror}") from None
