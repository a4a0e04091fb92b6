"""Grading a class: every submission graded on its own, each bad one gets a row saying what went
wrong, none hangs, none fakes its grade, and none reaches another or the grader.

One ``grade`` command runs the whole class (``CLASS``: a learner's solution cell for ex-99-scores,
2 points, in the fixture's student edition, or the raw text of the file) with short limits, and
the test asserts every row, that the whole run ends within a bound set by those limits, and that
the report file holds every row. The class ends with attacks on the grader and on the other
submissions (``ATTACKS``: a process left running, the instructor's notebook rewritten, the
grader killed or stopped, another learner's answer read), then a correct submission again.
"""

from __future__ import annotations

import json
import time

import nbformat
import pytest

import coursework
from coursework.__main__ import FOUND_PROBLEMS, main
from coursework.grading import MAX_TEXT
from coursework.isolation import isolation
from under_test import FIXTURE, SCORES, running

NONE = "def dot_product_scores(query, keys):\n    return None  # wrong: the checks must say so\n"
CELL, SUBMISSION = 8, 60  # seconds: the class's limits, short enough for a test

# name: (the solution cell, or {"file": raw text}; points for ex-99-scores; words of its row)
CLASS = {
    "correct": (SCORES, 2.0, ["✓ dot_product_scores is correct"]),
    "untouched": (None, 0.0, ["is not implemented yet"]),
    "malformed": ({"file": nbformat.writes(FIXTURE)[:300]}, None, ["not valid JSON", "the file looks truncated"]),
    "raises in its cell": (SCORES + "\nraise ValueError('my bug')", 2.0,
                           ["cell 7 (ex-99-scores-solution) raised ValueError: my bug", "✓"]),
    "loops in its function": ("def dot_product_scores(query, keys):\n    while True:\n        pass\n", 0.0,
                              ["ran past the time limit", f"{CELL} s"]),
    "loops in its cell": ("while True:\n    pass\n", 0.0,
                          ["ran past the", f"{CELL} s limit for a cell", "cell 7 (ex-99-scores-solution)"]),
    "replaces the check": (NONE + "import lib.checks as c\nc.check_dot_product_scores = lambda *a: print('✓')",
                           0.0, ["should return a torch.Tensor, but returned NoneType"]),
    "replaces the engine": (NONE + "import lib.checks.engine as e, lib.checks.ch03 as c3\n"
                            "e.check_function = c3.check_function = lambda *a, **k: print('✓')",
                            0.0, ["should return a torch.Tensor"]),
    "replaces print and exits": (NONE + "import builtins\nbuiltins.print = lambda *a, **k: None\n"
                                 "raise SystemExit(0)", 0.0, ["should return a torch.Tensor", "SystemExit"]),
    "raises SystemExit when checked": ("def dot_product_scores(query, keys):\n    raise SystemExit(0)\n", 0.0,
                                       ["raised SystemExit on the worked example"]),
    "kills its kernel": ("def dot_product_scores(query, keys):\n    import os\n    os._exit(0)\n", 0.0,
                         ["kernel died"]),
    "edits the check cell": ("edit-check", 0.0, ["the locked cell ex-99-scores-check was changed",
                                                 "is not implemented yet"]),
    "raises a 10 MB error": ("raise ValueError('x' * 10_000_000)", 0.0, ["more characters cut"]),
}

# The attacks: what each learner's cell does, given SOURCE (the instructor notebook's path) and
# CORRECT (the first correct submission's path). Before isolation, the detacher's process made the
# next submissions' answer files into folders (both scored 0), the rewriter made an untouched
# submission score 2/2, and the killer and the stopper ended or froze the whole batch.
DETACHER = (  # runs until killed, making every answer file of every grading folder a folder
    "import glob, os, time  # coursework-test-detacher\n"
    "while True:\n"
    "    for folder in glob.glob('/tmp/coursework-grade-*'):\n"
    "        for n in range(1, 40):\n"
    "            for stem in ('lookup', 'inputs', 'answer'):\n"
    "                try:\n"
    "                    os.makedirs(f'{folder}/{stem}-{n}.pt', exist_ok=True)\n"
    "                except OSError:\n"
    "                    pass\n"
    "    time.sleep(0.05)\n")
DETACH = f"import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', {DETACHER!r}], start_new_session=True)\n"
REWRITE = """import json
notebook = json.load(open(SOURCE))
for cell in notebook["cells"]:
    if cell["metadata"].get("nbgrader", {}).get("grade_id") == "ex-99-scores-check":
        cell["source"] = "print('✓ dot_product_scores is correct')"
json.dump(notebook, open(SOURCE, "w"))
"""
COPY = ("import json\nexec(next(c['source'] for c in json.load(open(CORRECT))['cells']"
        " if c['cell_type'] == 'code' and 'def dot_product_scores' in c['source']))")
ATTACKS = {
    # Its process makes its own answer files folders (IsADirectoryError), or not yet: either way 0.
    "leaves a process running": (NONE + DETACH, 0.0, []),
    "correct after the detacher": (SCORES, 2.0, ["✓ dot_product_scores is correct"]),
    "rewrites the instructor's check": (NONE + REWRITE, 0.0, ["should return a torch.Tensor"]),
    "untouched after the rewriter": (None, 0.0, ["is not implemented yet"]),
    "kills its parent": ("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n" + SCORES, 0.0,
                         ["the kernel died"]),  # while the cell ran, or when it ran again
    "kills every process it may": ("import os, signal\nos.kill(-1, signal.SIGKILL)\n" + SCORES, 0.0,
                                   ["is not defined"]),
    # In its namespace the kernel has no parent (0): the stop reaches its own process group, whose
    # first process ignores it, and the correct function after it scores.
    "stops its parent": ("import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)\n" + SCORES, 2.0, ["✓"]),
    "copies another learner's answer": (COPY, 0.0, ["PermissionError"]),
    "correct at the end": (SCORES, 2.0, ["✓ dot_product_scores is correct"]),
}
CLASS |= ATTACKS


def _path(tmp_path, name: str):
    return tmp_path / f"{name.replace(' ', '_').replace(chr(39), '')}.ipynb"


def _write(tmp_path, name: str, solution: object):
    path = _path(tmp_path, name)
    if isinstance(solution, dict):
        path.write_text(solution["file"], "utf-8")
        return path
    nb = coursework.student_edition(FIXTURE)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "ex-99-scores-solution" and solution not in (None, "edit-check"):
            cell.source = solution if name not in ATTACKS else (
                f"SOURCE, CORRECT = {str(tmp_path / '99_fixture.ipynb')!r}, {str(_path(tmp_path, 'correct'))!r}\n"
                + solution)
        if grade_id == "ex-99-scores-check" and solution == "edit-check":
            cell.source = "print('✓ dot_product_scores is correct')"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    assert not isolation(), isolation()  # the attacks below would reach the test run itself
    tmp_path = tmp_path_factory.mktemp("class")
    nbformat.write(FIXTURE, tmp_path / "99_fixture.ipynb")
    source = (tmp_path / "99_fixture.ipynb").read_bytes()
    paths = [_write(tmp_path, name, solution) for name, (solution, _, _) in CLASS.items()]
    started = time.monotonic()
    from contextlib import redirect_stdout
    from io import StringIO
    out = StringIO()
    with redirect_stdout(out):
        status = main(["grade", *map(str, paths), "--source", str(tmp_path / "99_fixture.ipynb"), "--json",
                       "--cell-timeout", str(CELL), "--timeout", str(SUBMISSION),
                       "--report", str(tmp_path / "report.jsonl")])
    seconds = time.monotonic() - started
    assert (tmp_path / "99_fixture.ipynb").read_bytes() == source, "a submission changed the instructor's notebook"
    report = [json.loads(line) for line in (tmp_path / "report.jsonl").read_text("utf-8").splitlines()]
    printed = json.loads(out.getvalue())
    assert report == printed, "the report file and the printed report differ"
    return status, seconds, dict(zip(CLASS, printed))


def test_the_class_ends_within_its_limits_and_the_exit_status_names_the_failure(graded):
    status, seconds, rows = graded
    assert status == FOUND_PROBLEMS  # the malformed notebook was not graded
    assert [name for name, row in rows.items() if not row["graded"]] == ["malformed"]
    # Each submission within its limit; in practice a few seconds each, the loops one or two cell limits.
    assert seconds < len(CLASS) * SUBMISSION / 2, f"{seconds:.0f} s"


@pytest.mark.parametrize("name", CLASS)
def test_every_submission_gets_the_right_row(name, graded):
    _, _, rows = graded
    row, (_, points, words) = rows[name], CLASS[name]
    said = json.dumps(row, ensure_ascii=False)
    assert not [w for w in words if w not in said], said
    if points is None:
        assert row["exercises"] == [] and row["score"] == 0 and row["max_score"] == 5.0
        return
    scores, weights = row["exercises"]
    assert (scores["grade_id"], scores["score"]) == ("ex-99-scores-check", points), said
    assert weights["score"] == 0.0, said
    if name != "leaves a process running":  # its process may have spoilt this exercise's answer file too
        assert "is not implemented yet" in weights["message"], said
    assert row["score"] == points


def test_no_process_of_the_class_outlives_the_batch(graded):
    assert not running("coursework-test-detacher"), "the detacher's process still runs"


def test_no_row_carries_more_than_its_cap(graded):
    _, _, rows = graded
    texts = [t for row in rows.values() for t in [row["error"], *row["problems"]] + [
        e["message"] for e in row["exercises"]]]
    assert max(map(len, texts)) < MAX_TEXT + 100
