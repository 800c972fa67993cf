"""Fixed-size row blocks: every source derives one block of rows from (seed, block number)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Final, Generic, TypeVar

BLOCK: Final = 100

T = TypeVar("T")


def block_count(total: int) -> int:
    """Return how many blocks cover a number of rows."""
    return -(-total // BLOCK)


def block_size(total: int, block: int) -> int:
    """Return the number of rows in a block (the last one may be short)."""
    return min(BLOCK, total - block * BLOCK)


class BlockCache(Generic[T]):
    """Keeps the most recently built blocks so nearby look-ups do not rebuild them."""

    def __init__(self, build: Callable[[int], T], capacity: int = 64) -> None:
        self._build = build
        self._capacity = capacity
        self._blocks: OrderedDict[int, T] = OrderedDict()

    def get(self, block: int) -> T:
        """Return a block, building it if it is not cached."""
        cached = self._blocks.get(block)
        if cached is None:
            cached = self._build(block)
            self._blocks[block] = cached
            if len(self._blocks) > self._capacity:
                self._blocks.popitem(last=False)
        return cached
