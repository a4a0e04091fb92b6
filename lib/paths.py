"""Where the course keeps what it downloads and trains: one folder, one environment variable."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_ENV", "cache_dir"]

#: Set it to keep the cache elsewhere (the test command points it at ``_build/cache``).
CACHE_ENV = "ATTENTION_COURSE_CACHE"


def cache_dir() -> Path:
    """``$ATTENTION_COURSE_CACHE`` or ``~/.cache/attention-step-by-step`` (created by its users)."""
    root = os.environ.get(CACHE_ENV)
    return Path(root) if root else Path.home() / ".cache" / "attention-step-by-step"
