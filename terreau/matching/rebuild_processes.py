"""The full rebuild's last step, explaining and writing every stored pair, shared by forked processes.

Why: at a million organisations the reasons and the COPY of 30 million rows took 1,122 s of one core in one
process (about 20 µs of reasons and 10 µs of COPY per row) while the machine's other core mostly waited. Each
block of pairs needs only the index, read-only by then, and its own pairs: processes forked from the rebuilding
one share the index's memory (copy-on-write: its numpy arrays are never written, and gc.freeze() keeps the
collector from writing into every object's header) and each COPYs its blocks into the generation's table
through a connection of its own.

Only where that is safe: on PostgreSQL with a table per generation (nobody reads it before it is attached, and
the blocks may land in any order), outside any transaction (a child's connection sees only committed tables),
and for more than one block; everywhere else (SQLite, tests inside a transaction) the caller's process writes
the same blocks one after another.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence

from django.conf import settings
from django.db import connection, connections

logger = logging.getLogger(__name__)

# Connections inherited from the parent, never finalised in a child: libpq's PQfinish on them would end the
# parent's session (and release its advisory lock serialising rebuilds). A child exits by os._exit.
_INHERITED: list[object] = []

# No block finished for this long (one takes a second or two): a writer is stuck (a lock, a dead server
# connection that never answers); the rebuild fails and is retried, instead of waiting forever.
STALL_SECONDS = 900


def processes_wanted() -> int:
    """How many processes explain and write a rebuild's pairs: TERREAU_REBUILD_PROCESSES (0: one per core)."""
    wanted = int(getattr(settings, "TERREAU_REBUILD_PROCESSES", 0))
    return wanted if wanted > 0 else (os.cpu_count() or 1)


def can_fork(*, partitioned: bool) -> bool:
    """Whether the blocks may be written by forked processes (see the module's docstring)."""
    return (
        partitioned
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and "fork" in multiprocessing.get_all_start_methods()
    )


def write_blocks(
    write_block: Callable[[int], int],
    blocks: int,
    *,
    processes: int,
    progress: Callable[[int], None] | None = None,
    stall_seconds: float = STALL_SECONDS,
) -> int:
    """Calls write_block(b) for every block b in range(blocks), which writes it and returns its row count;
    with `processes` > 1, block b is written by forked process b % processes. Returns the rows written.
    Raises RuntimeError when a process fails or when no block is finished for `stall_seconds` (the generation
    is then left unfinished, dropped by the next rebuild)."""
    processes = max(1, min(processes, blocks))
    if processes == 1:
        written = 0
        for b in range(blocks):
            written += write_block(b)
            if progress is not None:
                progress(written)
        return written
    ctx = multiprocessing.get_context("fork")
    done = ctx.Value("q", 0)
    gc.collect()
    gc.freeze()  # objects of the parent stay out of the children's collections: their pages stay shared
    _release_free_memory()
    children = [
        ctx.Process(target=_child, args=(write_block, range(i, blocks, processes), done), daemon=True)
        for i in range(processes)
    ]
    try:
        for child in children:
            child.start()
        last, moved_at = -1, time.monotonic()
        while any(child.is_alive() for child in children):
            children[0].join(timeout=1.0)
            if done.value != last:
                last, moved_at = done.value, time.monotonic()
                if progress is not None:
                    progress(last)
            elif time.monotonic() - moved_at > stall_seconds:
                raise RuntimeError(f"no block written for {stall_seconds:.0f} s: a rebuild process is stuck")
            failed = [c for c in children if c.exitcode not in (None, 0)]
            if failed:
                raise RuntimeError(f"a rebuild process failed (exit code {failed[0].exitcode})")
        for child in children:
            child.join()
            if child.exitcode != 0:
                raise RuntimeError(f"a rebuild process failed (exit code {child.exitcode})")
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
                child.join()
        gc.unfreeze()
    if progress is not None:
        progress(done.value)
    return done.value


def _release_free_memory() -> None:
    """Gives the C heap's free pages back to the system before forking (glibc only): a child allocating
    into a free page of the parent's heap copies it, and the parent keeps its own copy resident."""
    with contextlib.suppress(OSError, AttributeError):  # another C library: nothing to release this way
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _child(write_block: Callable[[int], int], blocks: Sequence[int], done) -> None:
    """A forked process: its own database connections, then its blocks."""
    for alias in connections:
        conn = connections[alias]
        if conn.connection is not None:
            _INHERITED.append(conn.connection)
            conn.connection = None  # the next query opens a connection of this process's own
    start = time.perf_counter()
    try:
        for b in blocks:
            rows = write_block(b)
            with done.get_lock():
                done.value += rows
    finally:
        for alias in connections:
            conn = connections[alias]
            if conn.connection is not None:
                conn.close()
    logger.debug(
        "rebuild process %s: %s blocks in %.1f s", os.getpid(), len(blocks), time.perf_counter() - start
    )
