"""The book's notebooks execute side by side (``_ext/parallel_execution.py``), on a tiny book.

Four notebooks that each take two seconds, and one that raises. The one named to run alone must
run before the others, with ``OMP_NUM_THREADS`` left unset; the others must overlap (on two CPUs
or more) with each kernel's share of the CPUs as ``OMP_NUM_THREADS``, the one named first (the
book's last) starting before any of them has finished; and the build must still fail, naming the
error, for the one that raises.
"""

from __future__ import annotations

import re

import tiny_book  # tests/site/tiny_book.py

from lib.cpus import available_cpus

TIMED = ("import os, time\n"
         "started = time.time()\n"
         "time.sleep(2)\n"
         "print('ran', started, time.time(), 'threads', os.environ.get('OMP_NUM_THREADS'))")
# Each its own code: jupyter-cache files runs by their code, so identical notebooks would share one.
NOTEBOOKS = {**{name: [f"# {name}\n{TIMED}"] for name in ("one", "two", "three", "spreads_itself")},
             "broken": ["raise ValueError('broken on purpose')"]}


def test_notebooks_run_side_by_side_and_a_failure_still_fails_the_build(tmp_path):
    tiny_book.make(tmp_path, NOTEBOOKS, alone=["spreads_itself"], first=["three"])
    status, log = tiny_book.build(tmp_path, {"OMP_NUM_THREADS": None})  # the extension sets it

    assert status != 0, f"the build passed although a notebook raised:\n{log[-2000:]}"
    assert "ValueError" in log and "broken on purpose" in tiny_book.page(tmp_path, "broken")
    runs = {}
    for name in ("one", "two", "three", "spreads_itself"):
        found = re.search(r"ran ([\d.]+) ([\d.]+) threads (\S+)", tiny_book.page(tmp_path, name))
        assert found, f"{name} has no output:\n{log[-2000:]}"
        runs[name] = (float(found[1]), float(found[2]), found[3])
    alone = runs.pop("spreads_itself")
    assert alone[2] == "None", alone  # every CPU: no thread count set for it
    assert alone[1] <= min(start for start, _, _ in runs.values()), (alone, runs)  # done before the rest began
    # In the book's order "three" would wait for a kernel until "one" or "two" ended.
    assert runs["three"][0] < min(end for _, end, _ in runs.values()), f"'three' did not start first: {runs}"
    cpus = available_cpus()
    kernels = min(len(NOTEBOOKS) - 1, cpus)
    assert {threads for _, _, threads in runs.values()} == {str(max(1, cpus // kernels))}, runs
    if cpus >= 2:
        starts, ends = sorted(run[0] for run in runs.values()), sorted(run[1] for run in runs.values())
        assert starts[1] < ends[0], f"no two ran at once: {runs}"
