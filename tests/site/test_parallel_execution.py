"""The book's notebooks execute side by side (``_ext/parallel_execution.py``), on a tiny book.

Three notebooks that each take two seconds, and one that raises. The build must overlap them (on
two CPUs or more), start the one named first before the others, give each kernel its share of the
CPUs as ``OMP_NUM_THREADS``, and still fail, naming the error, for the one that raises.
"""

from __future__ import annotations

import re
import sys

import book_site as book  # tests/site/book_site.py
import tiny_book  # tests/site/tiny_book.py

sys.path.insert(0, str(book.ROOT / "_ext"))
from parallel_execution import available_cpus  # noqa: E402

TIMED = ("import os, time\n"
         "started = time.time()\n"
         "time.sleep(2)\n"
         "print('ran', started, time.time(), 'threads', os.environ.get('OMP_NUM_THREADS'))")
NOTEBOOKS = {"one": [TIMED], "two": [TIMED], "three": [TIMED],
             "broken": ["raise ValueError('broken on purpose')"]}


def test_notebooks_run_side_by_side_and_a_failure_still_fails_the_build(tmp_path):
    tiny_book.make(tmp_path, NOTEBOOKS, first=["three"])
    status, log = tiny_book.build(tmp_path, {"OMP_NUM_THREADS": None})  # the extension sets it

    assert status != 0, f"the build passed although a notebook raised:\n{log[-2000:]}"
    assert "ValueError" in log and "broken on purpose" in tiny_book.page(tmp_path, "broken")
    runs = {}
    for name in ("one", "two", "three"):
        found = re.search(r"ran ([\d.]+) ([\d.]+) threads (\S+)", tiny_book.page(tmp_path, name))
        assert found, f"{name} has no output:\n{log[-2000:]}"
        runs[name] = (float(found[1]), float(found[2]), found[3])
    cpus = available_cpus()
    kernels = min(len(NOTEBOOKS), cpus)
    assert {threads for _, _, threads in runs.values()} == {str(max(1, cpus // kernels))}, runs
    assert runs["three"][0] <= min(runs["one"][0], runs["two"][0]), runs  # named first, started first
    if cpus >= 2:
        starts, ends = [run[0] for run in runs.values()], [run[1] for run in runs.values()]
        assert max(starts) < min(ends) or sorted(starts)[1] < sorted(ends)[0], f"no two ran at once: {runs}"
