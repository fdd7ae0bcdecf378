"""terreau.matching.rebuild_processes.write_blocks without a database: forked writers counted once, a stuck
writer stopping the rebuild instead of keeping it waiting forever."""

from __future__ import annotations

import time

import pytest

from terreau.matching import rebuild_processes


def _rows(b: int) -> int:
    return b + 1


def _stuck_on_the_first(b: int) -> int:
    if b == 0:
        time.sleep(3600)
    return 1


def test_forked_writers_count_every_block_once():
    seen: list[int] = []
    assert rebuild_processes.write_blocks(_rows, 6, processes=2, progress=seen.append) == 21
    assert seen[-1] == 21 and seen == sorted(seen)


def test_a_stuck_writer_fails_the_rebuild():
    with pytest.raises(RuntimeError, match="stuck"):
        rebuild_processes.write_blocks(_stuck_on_the_first, 4, processes=2, stall_seconds=2)
