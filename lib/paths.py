"""Where the course keeps what it downloads and trains: one folder, one environment variable."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["CACHE_ENV", "cache_dir", "writable_cache_folder", "writable_folder"]

#: Set it to keep the cache elsewhere (the test command points it at ``_build/cache``).
CACHE_ENV = "ATTENTION_COURSE_CACHE"


def cache_dir() -> Path:
    """``$ATTENTION_COURSE_CACHE`` or ``~/.cache/attention-step-by-step`` (created by its users).

    A ``~`` in the variable is the home folder, as in a shell (a quoted ``"~/cache"`` reaches
    Python unexpanded, and would otherwise make a folder named ``~`` in the working directory).
    """
    root = os.environ.get(CACHE_ENV)
    return Path(root).expanduser() if root else Path.home() / ".cache" / "attention-step-by-step"


def writable_cache_folder(name: str) -> Path:
    """``cache_dir() / name``, created, and checked writable: else an error that names :data:`CACHE_ENV`."""
    return writable_folder(cache_dir() / name)


def writable_folder(folder: Path, alternative: str = "") -> Path:
    """``folder``, created, and checked writable: else the same ``OSError`` type, with a message that
    names the folder, why, and :data:`CACHE_ENV` (then ``alternative``, another way out, if given)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # mkdir accepts a folder that exists read-only: writing a file is the one sure test.
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise type(error)(f"cannot write in the cache folder {folder} ({error.strerror or error}): set "
                          f"{CACHE_ENV} to a folder you can write{alternative}") from error
    return folder
