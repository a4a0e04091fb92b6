"""How many CPUs this process may use: the count that sizes worker pools, kernels and threads.

Torch-free, so that the book build (``_ext/parallel_execution.py``) and pytest's ``conftest.py``
can ask without importing torch.
"""

from __future__ import annotations

import os

__all__ = ["available_cpus"]


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity, which a container may limit)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1
