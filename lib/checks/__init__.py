"""Exercise checks: run a learner's function against the reference and say what is wrong.

One engine (:mod:`lib.checks.engine`, :func:`check_function`) and one module per chapter
(``ch01`` ... ``ch10``). A notebook calls ``checks.check_<name>(its_function)``; the check prints
one line when the function is right, and otherwise raises :class:`ExerciseError` with one
sentence a learner can act on (IPython shows that sentence without a traceback). This package
re-exports each chapter module's ``__all__``, and :data:`CHECKS` is every ``check_`` name among
them: a new check is one entry, its name in its chapter module's ``__all__``.
"""

from __future__ import annotations

from collections.abc import Callable

from . import ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08, ch09, ch10
from .cases import EXAMPLE_KEYS, EXAMPLE_QUERY, EXAMPLE_WEIGHTS
from .ch01 import *  # noqa: F403
from .ch02 import *  # noqa: F403
from .ch03 import *  # noqa: F403
from .ch04 import *  # noqa: F403
from .ch05 import *  # noqa: F403
from .ch06 import *  # noqa: F403
from .ch07 import *  # noqa: F403
from .ch08 import *  # noqa: F403
from .ch09 import *  # noqa: F403
from .ch10 import *  # noqa: F403
from .engine import NOT_IMPLEMENTED, ExerciseError, Mistake, check_function

#: The chapter modules, in reading order.
CHAPTERS = (ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08, ch09, ch10)

#: Every learner-facing check, in reading order (chapter by chapter, each in its module's ``__all__`` order).
CHECKS: dict[str, Callable[..., None]] = {
    name: getattr(chapter, name) for chapter in CHAPTERS for name in chapter.__all__ if name.startswith("check_")
}

__all__ = [
    "ExerciseError", "NOT_IMPLEMENTED", "Mistake", "check_function", "CHECKS", "CHAPTERS",
    "EXAMPLE_KEYS", "EXAMPLE_QUERY", "EXAMPLE_WEIGHTS",
    *(name for chapter in CHAPTERS for name in chapter.__all__),
]
