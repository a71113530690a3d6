"""``fpgagen cache``: where the simulator cache is, how many builds it holds and how big it is;
``--clean`` removes every entry that no running process is using and says what that freed.

The cache (`fpgagen.verify.simcache`) keeps each Verilator build, so that a design is compiled
once; it evicts the least recently used builds beyond ``$FPGAGEN_CACHE_MAX`` on its own, and
this command is for looking at it and for giving the disk back at once.
"""

from __future__ import annotations

import argparse
from typing import Any

from fpgagen.cli.common import add_json_arg, add_quiet_arg, console, print_json
from fpgagen.errors import FpgagenError
from fpgagen.util.lrudir import LruDir
from fpgagen.verify.simcache import CACHE_ENV, MAX_ENV, cache_dir, format_size, sim_cache


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cache", help="the simulator cache: location, entries, size; --clean "
                                     "empties it")
    p.add_argument("--clean", action="store_true",
                   help="remove every entry not in use by a running process, print what it "
                        "freed")
    add_quiet_arg(p)
    add_json_arg(p)
    p.set_defaults(func=run)


def _state(cache: LruDir) -> dict[str, Any]:
    entries = cache.entries()
    return {"location": str(cache_dir()), "entries": len(entries),
            "in_use": sum(1 for e in entries if cache.in_use(e.name)),
            "bytes": sum(e.size for e in entries), "max_bytes": cache.max_bytes}


def run(args: argparse.Namespace) -> int:
    cache = sim_cache()
    out: dict[str, Any] = {}
    if args.clean:
        try:
            removed, kept = cache.clean()
        except OSError as exc:
            raise FpgagenError(f"cannot clean {cache.root}: {exc.strerror}") from None
        out = {"freed_entries": len(removed), "freed_bytes": sum(e.size for e in removed),
               "kept_in_use": len(kept)}
    state = _state(cache)
    if args.json:
        print_json({**state, **out})
        return 0
    con = console()
    con.print(f"location  {state['location']}  (${CACHE_ENV})")
    if args.clean:
        con.print(f"freed     {out['freed_entries']} entries, {format_size(out['freed_bytes'])}"
                  + (f"; kept {out['kept_in_use']} in use" if out["kept_in_use"] else ""))
    con.print(f"entries   {state['entries']}"
              + (f" ({state['in_use']} in use)" if state["in_use"] else ""))
    con.print(f"size      {format_size(state['bytes'])} of {format_size(state['max_bytes'])} "
              f"(${MAX_ENV})")
    return 0
