"""The book's notebooks execute side by side (``_ext/parallel_execution.py``), on a tiny book.

Three notebooks that wait for one another, one that waits a second, and one that raises. The one
named to run alone must run before the others, with ``OMP_NUM_THREADS`` left unset; the others
must overlap (on two CPUs or more) with each kernel's share of the CPUs as ``OMP_NUM_THREADS``,
the one named first, last in Sphinx's (alphabetical) order, starting before any of them has
finished; and the build must still fail, naming the error, for the one that raises.
"""

from __future__ import annotations

import re
from pathlib import Path

import tiny_book  # tests/site/tiny_book.py

from lib.cpus import available_cpus

# A notebook run side by side records its start, then waits (up to 20 s) until two have started,
# so that two kernels that run at once overlap however unevenly they start (under load one kernel
# took 3.4 s longer than another to start); run one at a time, the first waits out the 20 s.
TIMED = ("import os, pathlib, time\n"
         "started = time.time()\n"
         "(pathlib.Path({started!r}) / {name!r}).touch()\n"
         "while len(list(pathlib.Path({started!r}).iterdir())) < 2 and time.time() < started + 20:\n"
         "    time.sleep(0.05)\n"
         "time.sleep(0.5)\n"
         "print('ran', started, time.time(), 'threads', os.environ.get('OMP_NUM_THREADS'))")
ALONE = ("import os, time\n"
         "started = time.time()\n"
         "time.sleep(1)\n"
         "print('ran', started, time.time(), 'threads', os.environ.get('OMP_NUM_THREADS'))")
SIDE_BY_SIDE = ("alpha", "beta", "omega")  # Sphinx reads (and the extension would start) omega last


def notebooks(started: Path) -> dict[str, list[str]]:
    # Each its own code: jupyter-cache files runs by their code, so identical notebooks would share one.
    return {**{name: [TIMED.format(started=str(started), name=name)] for name in SIDE_BY_SIDE},
            "spreads_itself": [ALONE], "broken": ["raise ValueError('broken on purpose')"]}


def test_notebooks_run_side_by_side_and_a_failure_still_fails_the_build(tmp_path):
    (tmp_path / "started").mkdir()
    root = tmp_path / "book"
    root.mkdir()
    book = notebooks(tmp_path / "started")
    tiny_book.make(root, book, alone=["spreads_itself"], first=["omega"])
    status, log = tiny_book.build(root, {"OMP_NUM_THREADS": None})  # the extension sets it

    assert status != 0, f"the build passed although a notebook raised:\n{log[-2000:]}"
    assert "ValueError" in log and "broken on purpose" in tiny_book.page(root, "broken")
    runs = {}
    for name in (*SIDE_BY_SIDE, "spreads_itself"):
        found = re.search(r"ran ([\d.]+) ([\d.]+) threads (\S+)", tiny_book.page(root, name))
        assert found, f"{name} has no output:\n{log[-2000:]}"
        runs[name] = (float(found[1]), float(found[2]), found[3])
    alone = runs.pop("spreads_itself")
    assert alone[2] == "None", alone  # every CPU: no thread count set for it
    assert alone[1] <= min(start for start, _, _ in runs.values()), (alone, runs)  # done before the rest began
    # Not named first, omega would wait for a kernel until alpha or beta ended.
    assert runs["omega"][0] < min(end for _, end, _ in runs.values()), f"omega did not start first: {runs}"
    cpus = available_cpus()
    kernels = min(len(book) - 1, cpus)
    assert {threads for _, _, threads in runs.values()} == {str(max(1, cpus // kernels))}, runs
    if cpus >= 2:
        starts, ends = sorted(run[0] for run in runs.values()), sorted(run[1] for run in runs.values())
        assert starts[1] < ends[0], f"no two ran at once: {runs}"
