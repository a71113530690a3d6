"""Run a generated Vivado Tcl script in plain tclsh with every Vivado command stubbed
(tests/vivado_stub.tcl), for tests/test_vivado.py (rtl/vivado.tcl) and tests/test_system.py
(system/build.tcl): the log says what Vivado would have been asked to do, and a command the
tables below do not know is an error, so a typo or an invented command fails the test.
tclsh is required (Debian package ``tcl``), not optional.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

STUB = Path(__file__).resolve().parent / "vivado_stub.tcl"

_Q = ("-quiet", "-verbose")
_GET = {"-filter", "-regexp", "-nocase", "-of_objects", *_Q}

# The Vivado commands rtl/vivado.tcl and rtl/fpgagen.xdc may call, each with the options it may
# pass (UG835, Vivado Design Suite Tcl Command Reference); anything else is a typo or an
# invention.
VIVADO = {
    "read_verilog": {"-library", "-sv", *_Q},
    "read_xdc": {"-mode", "-ref", "-cells", "-unmanaged", *_Q},
    "set_msg_config": {"-id", "-string", "-severity", "-limit", "-new_severity", "-suppress",
                       "-regexp", *_Q},
    "synth_design": {"-name", "-part", "-constrset", "-top", "-include_dirs", "-generic",
                     "-verilog_define", "-flatten_hierarchy", "-directive", "-mode", "-retiming",
                     "-keep_equivalent_registers", "-resource_sharing", "-max_bram", "-max_uram",
                     "-max_dsp", "-assert", *_Q},
    "opt_design": {"-directive", *_Q},
    "place_design": {"-directive", *_Q},
    "phys_opt_design": {"-directive", *_Q},
    "route_design": {"-directive", *_Q},
    "write_checkpoint": {"-force", "-cell", *_Q},
    "report_timing_summary": {"-file", "-max_paths", "-delay_type", "-report_unconstrained",
                              "-warn_on_violation", "-return_string", *_Q},
    "report_utilization": {"-file", "-hierarchical", "-return_string", *_Q},
    "report_drc": {"-file", "-ruledecks", "-return_string", *_Q},
    "report_methodology": {"-file", "-return_string", *_Q},
    "get_cells": {"-hierarchical", *_GET},
    "get_property": {"-min", "-max", *_Q},
    "get_timing_paths": {"-delay_type", "-max_paths", "-nworst", "-from", "-to", "-through",
                         "-setup", "-hold", *_Q},
    "version": {"-short"},
    # XDC
    "create_clock": {"-name", "-period", "-waveform", "-add", *_Q},
    "get_ports": {*_GET},
    "set_property": {"-dict", "-name", "-value", "-objects", *_Q},
    "set_input_delay": {"-clock", "-clock_fall", "-max", "-min", "-add_delay", *_Q},
    "set_output_delay": {"-clock", "-clock_fall", "-max", "-min", "-add_delay", *_Q},
}

# ... and those system/build.tcl adds: projects, IP packaging (ipx::), block designs, runs
SYSTEM = {
    **VIVADO,
    "create_project": {"-part", "-force", "-in_memory", "-ip", *_Q},
    "close_project": {"-delete", *_Q},
    "current_fileset": {"-constrset", "-simset", *_Q},
    "current_project": {*_Q},
    "add_files": {"-fileset", "-norecurse", "-scan_for_includes", "-copy_to", "-force",
                  "-of_objects", *_Q},
    "update_compile_order": {"-fileset", *_Q},
    "get_board_parts": {"-latest_file_version", "-latest_hw_revision", *_GET},
    "update_ip_catalog": {"-rebuild", "-scan_changes", "-repo_path", *_Q},
    "get_ipdefs": {"-all", "-name", *_GET},
    "ipx::package_project": {"-root_dir", "-vendor", "-library", "-taxonomy", "-import_files",
                             "-set_current", "-force", "-module", *_Q},
    "ipx::current_core": {*_Q},
    "ipx::get_bus_interfaces": {*_GET},
    "ipx::infer_bus_interface": {*_Q},
    "ipx::associate_bus_interfaces": {"-busif", "-clock", "-reset", "-clear", *_Q},
    "ipx::get_bus_parameters": {*_GET},
    "ipx::add_bus_parameter": {*_Q},
    "ipx::remove_bus_parameter": {*_Q},
    "ipx::create_xgui_files": {*_Q},
    "ipx::update_checksums": {*_Q},
    "ipx::check_integrity": {"-kernel", "-xrt_kernel", *_Q},
    "ipx::save_core": {*_Q},
    "create_bd_design": {"-dir", "-mode", *_Q},
    "create_bd_cell": {"-type", "-vlnv", "-reference", "-dir", "-prop", *_Q},
    "apply_bd_automation": {"-rule", "-config", "-dict", "-opts", *_Q},
    "get_bd_cells": {"-hierarchical", *_GET},
    "get_bd_pins": {"-hierarchical", *_GET},
    "get_bd_intf_pins": {"-hierarchical", *_GET},
    "get_bd_addr_spaces": {"-hierarchical", *_GET},
    "get_bd_addr_segs": {"-hierarchical", "-addressables", "-excluded", *_GET},
    "connect_bd_net": {"-net", "-boundary_type", *_Q},
    "connect_bd_intf_net": {"-intf_net", "-boundary_type", *_Q},
    "assign_bd_address": {"-target_address_space", "-offset", "-range", "-boundary",
                          "-combine_segments", "-force", "-external", *_Q},
    "validate_bd_design": {"-force", "-design", *_Q},
    "save_bd_design": {*_Q},
    "get_files": {"-all", "-compile_order", "-used_in", *_GET},
    "generate_target": {"-force", *_Q},
    "make_wrapper": {"-files", "-top", "-testbench", "-inst_template", "-fileset", "-import",
                     "-force", *_Q},
    "launch_runs": {"-jobs", "-to_step", "-next_step", "-scripts_only", "-force", *_Q},
    "wait_on_run": {"-timeout", *_Q},
    "get_runs": {*_GET},
    "open_run": {"-name", *_Q},
    "write_hw_platform": {"-fixed", "-hw", "-include_bit", "-include_sim_content", "-force",
                          "-file", *_Q},
}

# answered by the stub itself (objects, properties, files the runs would write); the rest of a
# table only log and return nothing
ANSWERED = {
    "get_cells", "get_property", "get_timing_paths", "get_ports", "version", "set_property",
    "create_project", "current_fileset", "current_project", "get_board_parts", "get_ipdefs",
    "ipx::current_core", "ipx::get_bus_interfaces", "ipx::get_bus_parameters",
    "create_bd_design", "get_bd_cells", "get_bd_pins", "get_bd_intf_pins", "get_bd_addr_spaces",
    "get_bd_addr_segs", "get_files", "generate_target", "make_wrapper", "launch_runs", "get_runs",
}
# Tcl 8.6 additions: older Vivado releases run Tcl 8.5
TCL86 = re.compile(r"(^|[\[;{]\s*)(lmap|try|throw|tailcall|coroutine|yieldto|zlib|oo::\w+)\b"
                   r"|string\s+cat\b|file\s+tempfile\b|dict\s+map\b")
OPTION = re.compile(r"^-[a-z_]+$")


def find_tclsh() -> str:
    path = shutil.which("tclsh")
    if path is None:
        pytest.fail("tclsh not found: install Debian's `tcl` package (.ci/run does)")
    return path


class Run:
    """One tclsh run of a script under the stubs: exit code, output, and the logged calls."""

    def __init__(self, proc: subprocess.CompletedProcess[str], log: Path) -> None:
        self.code, self.output = proc.returncode, proc.stdout + proc.stderr
        lines = log.read_text().splitlines() if log.exists() else []
        self.calls = [line.split("\t") for line in lines]

    def names(self) -> list[str]:
        return [c[0] for c in self.calls]

    def call(self, name: str) -> list[str]:
        found = [c[1:] for c in self.calls if c[0] == name]
        assert len(found) == 1, f"{name} called {len(found)} times"
        return found[0]

    def option(self, name: str, option: str) -> list[str]:
        """Every value given to ``option`` in the one call of ``name``."""
        args = self.call(name)
        return [args[i + 1] for i, a in enumerate(args[:-1]) if a == option]

    def unknown_commands(self, commands: Mapping[str, set[str]]) -> list[str]:
        """Calls of commands, or options, that ``commands`` does not have."""
        bad = []
        for name, *args in self.calls:
            if name not in commands:
                bad.append(f"{name} {args}: not a Vivado command this test knows")
                continue
            options = [a for a in args if OPTION.match(a) and a not in commands[name]]
            if options:
                bad.append(f"{name}: unknown options {options}")
        return bad


def run_tcl(tclsh: str, script: Path, cwd: Path, tmp: Path, *, argv: tuple[str, ...] = (),
            variables: dict[str, str] | None = None,
            commands: Mapping[str, set[str]] = VIVADO, **stub: object) -> Run:
    """Source ``script`` (by its path relative to ``cwd``) in tclsh under the Vivado stubs;
    ``stub`` sets what the stub's queries answer (see vivado_stub.tcl)."""
    tmp.mkdir(parents=True, exist_ok=True)
    log = tmp / "calls.log"
    stubbed = sorted(set(commands) - ANSWERED)
    lines = [f"set stub_log {{{log}}}", f"set stub_commands {{{' '.join(stubbed)}}}",
             *(f"set stub({k}) {{{v}}}" for k, v in stub.items()),
             f"source {{{STUB}}}",
             f"set argv {{{' '.join(argv)}}}", f"set argc {len(argv)}",
             *(f"set {k} {{{v}}}" for k, v in (variables or {}).items()),
             f"source {{{Path(os.path.relpath(script, cwd))}}}"]
    driver = tmp / "driver.tcl"
    driver.write_text("\n".join(lines) + "\n")
    proc = subprocess.run([tclsh, str(driver)], cwd=cwd, capture_output=True, text=True,
                          timeout=60)
    return Run(proc, log)
