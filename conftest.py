"""How pytest spreads the tests over the CPUs (pytest-xdist; ``-n auto --dist loadscope`` in
pyproject.toml): ``auto`` is one worker more than CPUs.

* Each test file goes, whole, to one worker, so that a module fixture (the graded class, the
  browser) is set up once. The files with the longest tests are handed out first: one of them left
  to the end would run alone while the other workers wait.
* Each worker runs torch, and what it starts, with one thread (``pytest_configure``).
* A notebook checked by nbval (every chapter and exercise edition, ``--nbval-lax`` in
  pyproject.toml) is one scope: its cells run in one kernel, on one worker, one after another.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lib.cpus import available_cpus

ROOT = Path(__file__).parent

# Seconds of test time on two cores (pytest --durations, 2026-12-06; a notebook's cells summed),
# longest first; a file not listed goes after these, in collection order. A wrong order costs
# time, never a result.
LONGEST_FIRST = (
    "chapters/09_real_translation.ipynb",  # 69 under nbval: evaluates five models
    "tests/site/test_site.py",  # 64: every page in Chromium
    "tests/coursework/test_grading_class.py",  # 60: a class of 22 submissions
    "exercises/09_real_translation.ipynb",  # 46
    "tests/coursework/test_grading_chapters.py",  # 43: the ten chapters (and 07_notes_sentence), twice each
    "tests/site/test_rebuild_after_failure.py",  # 40: four builds of a tiny book
    "tests/coursework/test_nbgrader.py",  # 24
    "chapters/10_self_attention.ipynb",  # 21
    "tests/lib/test_fingerprint.py",  # 21
    "exercises/07_concat_and_decode.ipynb",  # 20
    "exercises/10_self_attention.ipynb",  # 19
    "chapters/07_concat_and_decode.ipynb",  # 18
    "tests/site/test_parallel_execution.py",  # 17
    "tests/coursework/test_editions.py",  # 15
    "tests/lib/test_tatoeba.py",  # 14
    "tests/coursework/test_exercise_edition.py",  # 13
    "tests/lib/test_translation.py",  # 12
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: index for index, path in enumerate(LONGEST_FIRST)}

    def position(item: pytest.Item) -> int:
        try:
            return rank.get(item.path.relative_to(ROOT).as_posix(), len(rank))
        except ValueError:  # outside the repository
            return len(rank)

    items.sort(key=position)  # stable: a file's tests keep their order


def pytest_configure(config: pytest.Config) -> None:
    """In a worker (PYTEST_XDIST_WORKER), one torch thread, for this process and the kernels, builds
    and workers it starts, unless OMP_NUM_THREADS says otherwise: the workers share the CPUs, and
    two threads per process on busy cores run many times slower (a 150-step fit of a 32-unit model
    took 73 s instead of about 1 s in a CI run with three workers on two cores)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        import torch  # here, not at the top: the controller process never needs it

        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than CPUs. A notebook under nbval stays whole on one worker
    (``--dist loadscope``: its cells are one scope), so its cells share one kernel, in order."""
    # The tests spend about a fifth of their time waiting on kernels, Chromium and builds (with one
    # worker per CPU on two cores they kept the CPUs 81% busy): a third worker took the whole run
    # from 216 s to 185 s there.
    return available_cpus() + 1
