"""Where a sweep's tasks run: in this process, on a local process pool, or on a Ray cluster.

Every backend takes a task function and its argument tuples and yields ``(index, result)`` as
tasks finish; tasks are pure (fpgagen/dse/tasks.py), so the backend changes only the time, not
the results. ``ray`` is an optional dependency (``pip install 'fpgagen[cluster]'``).
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fpgagen.errors import FpgagenError

LOCAL, RAY = "local", "ray"
BACKENDS = (LOCAL, RAY)
CONNECT_TIMEOUT_S = 5.0
# Ray's switch between a cluster node (its network address) and a single machine (127.0.0.1)
RAY_SINGLE_MACHINE_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


class Backend:
    """Runs task functions; `close` when done."""

    name = LOCAL

    def map(self, fn: Callable[..., Any], args: Sequence[tuple[Any, ...]]
            ) -> Iterator[tuple[int, Any]]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class InProcess(Backend):
    """One task after another in this process (``workers`` 1)."""

    def map(self, fn: Callable[..., Any], args: Sequence[tuple[Any, ...]]
            ) -> Iterator[tuple[int, Any]]:
        for i, a in enumerate(args):
            yield i, fn(*a)


class ProcessPool(Backend):
    """A local pool of ``workers`` fresh processes (spawned: nothing inherited but the
    arguments)."""

    def __init__(self, workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.pool = ProcessPoolExecutor(max_workers=workers,
                                        mp_context=multiprocessing.get_context("spawn"))

    def map(self, fn: Callable[..., Any], args: Sequence[tuple[Any, ...]]
            ) -> Iterator[tuple[int, Any]]:
        from concurrent.futures import as_completed

        futures = {self.pool.submit(fn, *a): i for i, a in enumerate(args)}
        try:
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        finally:
            for fut in futures:
                fut.cancel()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _check_reachable(address: str) -> None:
    """A ``host:port`` (or ``ray://host:port``) that answers a TCP connection within
    `CONNECT_TIMEOUT_S`; a one-line error otherwise (before Ray retries for a minute)."""
    target = address.removeprefix("ray://")
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise FpgagenError(f"--address {address!r} is not HOST:PORT (or ray://HOST:PORT, or "
                           "auto)")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        raise FpgagenError(f"cannot reach the Ray cluster at {address}: "
                           f"{exc.strerror or exc}") from None


class RayCluster(Backend):
    """Tasks on a Ray cluster: an existing one at ``address`` (``HOST:PORT``, ``ray://...`` or
    ``auto``), else a local Ray instance with ``workers`` CPUs, shut down at `close`."""

    name = RAY

    def __init__(self, address: str | None, workers: int) -> None:
        if address is None and "ray" not in sys.modules:
            # a local instance on the loopback interface only (Ray's single-machine mode: its
            # node address is then 127.0.0.1, not the machine's network address); its workers
            # inherit the setting
            os.environ.setdefault(RAY_SINGLE_MACHINE_ENV, "0")
        try:
            import ray
        except ImportError:
            raise FpgagenError("--backend ray needs Ray (pip install 'fpgagen[cluster]')"
                               ) from None
        if address is not None and address != "auto":
            _check_reachable(address)
        self.ray = ray
        self.owned = not ray.is_initialized()
        if self.owned:
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                      "logging_level": "ERROR"}
            if address is None:  # a new local instance (never a cluster found on this machine)
                kwargs |= {"address": "local", "num_cpus": workers}
            else:
                kwargs["address"] = address
            try:
                ray.init(**kwargs)
            except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ...
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
                raise FpgagenError(f"cannot start or join Ray"
                                   f"{' at ' + address if address else ''}: {first}") from None
        self._remote: dict[Callable[..., Any], Any] = {}

    def map(self, fn: Callable[..., Any], args: Sequence[tuple[Any, ...]]
            ) -> Iterator[tuple[int, Any]]:
        ray = self.ray
        remote = self._remote.setdefault(fn, ray.remote(num_cpus=1, max_retries=0)(fn))
        refs = {remote.remote(*a): i for i, a in enumerate(args)}
        pending = list(refs)
        try:
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                for ref in done:
                    try:
                        yield refs[ref], ray.get(ref)
                    except ray.exceptions.RayTaskError as exc:
                        cause = exc.as_instanceof_cause()
                        if isinstance(cause, FpgagenError):
                            raise FpgagenError(str(cause).splitlines()[0]) from None
                        raise
        finally:
            for ref in pending:
                ray.cancel(ref)

    def close(self) -> None:
        if self.owned:
            self.ray.shutdown()


def make_backend(name: str, workers: int, address: str | None) -> Backend:
    """The backend ``name`` (`LOCAL` or `RAY`); checked before any work."""
    if name not in BACKENDS:
        raise FpgagenError(f"--backend is {' or '.join(BACKENDS)}, not {name!r}")
    if workers < 1:
        raise FpgagenError(f"--workers must be at least 1, got {workers}")
    if name == LOCAL:
        if address is not None:
            raise FpgagenError("--address names a Ray cluster: give it with --backend ray")
        return InProcess() if workers == 1 else ProcessPool(workers)
    return RayCluster(address, workers)
