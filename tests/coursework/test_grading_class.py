"""Grading a class: every submission graded on its own, each bad one gets a row saying what went
wrong, none hangs, and none fakes its grade.

One ``grade`` command runs the whole class (``CLASS``: a learner's solution cell for ex-99-scores,
2 points, in the fixture's student edition, or the raw text of the file) with short limits, and
the test asserts every row and that the whole run ends within a bound set by those limits.
"""

from __future__ import annotations

import json
import time

import nbformat
import pytest

import coursework
from coursework.__main__ import FOUND_PROBLEMS, main
from under_test import FIXTURE, SCORES

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
}


def _write(tmp_path, name: str, solution: object):
    path = tmp_path / f"{name.replace(' ', '_')}.ipynb"
    if isinstance(solution, dict):
        path.write_text(solution["file"], "utf-8")
        return path
    nb = coursework.student_edition(FIXTURE)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "ex-99-scores-solution" and solution not in (None, "edit-check"):
            cell.source = solution
        if grade_id == "ex-99-scores-check" and solution == "edit-check":
            cell.source = "print('✓ dot_product_scores is correct')"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("class")
    nbformat.write(FIXTURE, tmp_path / "99_fixture.ipynb")
    paths = [_write(tmp_path, name, solution) for name, (solution, _, _) in CLASS.items()]
    started = time.monotonic()
    from contextlib import redirect_stdout
    from io import StringIO
    out = StringIO()
    with redirect_stdout(out):
        status = main(["grade", *map(str, paths), "--source", str(tmp_path / "99_fixture.ipynb"), "--json",
                       "--cell-timeout", str(CELL), "--timeout", str(SUBMISSION)])
    return status, time.monotonic() - started, dict(zip(CLASS, json.loads(out.getvalue())))


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
    assert weights["score"] == 0.0 and "is not implemented yet" in weights["message"], said
    assert row["score"] == points
