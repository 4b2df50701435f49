"""The cyclic garbage collector paused for a block of work that makes many short-lived objects.

Such work (parsing a feed, selecting a day's digests) allocates objects that reference
counting frees; each burst of allocations can set off a full collection that walks the
process's whole live heap for nothing. Callers say why at their call site.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block; restore it as it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
