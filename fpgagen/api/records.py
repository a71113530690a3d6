"""Result records: what the API returns, with the same fields as the commands' JSON.

A `Record` is a read-only mapping of the JSON object a command prints with ``--json`` that also
reads as attributes (``result.fits``, ``result["fits"]``); `Record.to_json` gives the plain
object back, so ``json.dumps(design.check().to_json())`` is what ``fpgagen check --json``
prints. Subclasses add what only Python can hold (the Plan, arrays) as further attributes.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any


class Record(Mapping[str, Any]):
    """A JSON object as an immutable mapping with attribute access."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_data", dict(data))

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field {name!r} "
                                 f"(fields: {', '.join(self._data)})") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self._data})

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={self._data[k]!r}" for k in list(self._data)[:6])
        more = ", ..." if len(self._data) > 6 else ""
        return f"{type(self).__name__}({shown}{more})"

    def to_json(self) -> dict[str, Any]:
        """A deep copy of the JSON object (the command's ``--json`` output)."""
        return copy.deepcopy(self._data)


def _attach(record: Record, **extra: Any) -> None:
    """Set Python-only attributes on a record (its class declares them in ``__slots__``)."""
    for k, v in extra.items():
        object.__setattr__(record, k, v)
