"""``fpgagen models``: the zoo with default input size, params, MACs and whose weights (seeded
random for the ImageNet networks, trained for ``digits``)."""

from __future__ import annotations

import argparse

from fpgagen.cli.common import add_json_arg, add_quiet_arg, console, fmt_int, print_json, table
from fpgagen.frontend.zoo import ALIASES, ZOO


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list the model zoo")
    add_quiet_arg(p)
    add_json_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    rows = []
    for entry in ZOO.values():
        graph = entry.build(entry.default_input)
        rows.append({"name": entry.name, "aliases": [a for a, t in ALIASES.items()
                                                     if t == entry.name],
                     "input_shape": list(graph.input_shape), "params": graph.total_params,
                     "macs": graph.total_macs, "layers": len(graph.layers),
                     "weights": "trained" if entry.onnx else "seeded random",
                     "description": entry.description})
    if args.json:
        print_json(rows)
        return 0
    console().print(table(
        "Model zoo", ["model", "aliases", "input", "layers", "params", "MACs", "weights",
                      "description"],
        [(r["name"], ", ".join(r["aliases"]), "x".join(map(str, r["input_shape"])), r["layers"],
          fmt_int(r["params"]), fmt_int(r["macs"]), r["weights"], r["description"])
         for r in rows],
        right=("layers", "params", "MACs")))
    return 0
