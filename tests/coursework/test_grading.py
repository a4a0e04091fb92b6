"""Grading outside nbgrader: only the solution cells count; the command line's reports."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import nbformat

import coursework
from coursework.__main__ import main
from lib.checks import NOT_IMPLEMENTED
from under_test import FIXTURE, gone_within, running, submission


def test_grade_counts_only_solution_cells_and_reports_json(tmp_path, capsys):
    nbformat.write(FIXTURE, tmp_path / "99_fixture.ipynb")
    submitted = tmp_path / "ada.ipynb"
    nbformat.write(submission(), submitted)
    assert main(["grade", str(submitted), "--source", str(tmp_path / "99_fixture.ipynb"), "--json"]) == 0
    (report,) = json.loads(capsys.readouterr().out)
    assert report["graded"] and report["error"] == ""
    assert report["problems"] == [f"{submitted}, cell 11: the locked cell ex-99-weights-check was changed; "
                                  "it is graded with the instructor's"]
    assert (report["score"], report["max_score"]) == (2.0, 5.0)
    scores, weights = report["exercises"]
    assert scores["score"] == 2.0 and scores["message"].startswith("✓ dot_product_scores is correct")
    assert weights["score"] == 0.0 and NOT_IMPLEMENTED in weights["message"]


def test_student_edition_command_writes_the_student_edition(tmp_path):
    nbformat.write(FIXTURE, tmp_path / "99_fixture.ipynb")
    assert main(["student-edition", str(tmp_path / "99_fixture.ipynb"), "--out", str(tmp_path / "out")]) == 0
    assert nbformat.read(tmp_path / "out" / "99_fixture.ipynb", as_version=4) == coursework.student_edition(FIXTURE)


def test_chapters_option_names_the_folder(tmp_path, capsys):
    nbformat.write(FIXTURE, tmp_path / "99_fixture.ipynb")
    assert main(["--chapters", str(tmp_path), "validate"]) == 0
    assert "✓ 1 notebooks follow the format" in capsys.readouterr().out
    assert main(["--chapters", str(tmp_path), "student-edition", "--out", str(tmp_path / "student")]) == 0
    assert (tmp_path / "student" / "99_fixture.ipynb").exists()


def test_a_row_is_in_the_report_as_soon_as_it_is_graded_and_a_killed_grader_leaves_no_kernel(tmp_path):
    """The grader killed from outside mid-batch: the rows graded before are in the report, and the
    learner's kernel it was running dies with it (nothing of the class keeps running)."""
    nbformat.write(FIXTURE, tmp_path / "99_fixture.ipynb")
    nbformat.write(submission(), tmp_path / "ada.ipynb")
    looping = submission()
    next(c for c in looping.cells if c.metadata.get("nbgrader", {}).get("solution")).source = \
        "import subprocess, time\nsubprocess.Popen(['sleep', '876.5432'])\nwhile True:\n    time.sleep(0.1)"
    nbformat.write(looping, tmp_path / "bob.ipynb")
    report = tmp_path / "report.jsonl"
    grader = subprocess.Popen([sys.executable, "-m", "coursework", "grade", str(tmp_path / "ada.ipynb"),
                               str(tmp_path / "bob.ipynb"), "--source", str(tmp_path / "99_fixture.ipynb"),
                               "--report", str(report), "--cell-timeout", "120"],
                              cwd=coursework.ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not running("876.5432"):
            time.sleep(0.2)
        assert running("876.5432"), "the second submission's kernel never started"
    finally:
        grader.kill()
        grader.wait()
    (row,) = [json.loads(line) for line in report.read_text("utf-8").splitlines()]
    assert row["notebook"].endswith("ada.ipynb") and row["score"] == 2.0
    assert gone_within("876.5432", 5), "the learner's kernel outlived the grader"


def test_grading_without_namespaces_warns_that_learners_are_not_isolated(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("coursework.__main__.isolation", lambda: "learners' kernels are not isolated: unshare failed")
    nbformat.write(FIXTURE, tmp_path / "99_fixture.ipynb")
    nbformat.write(submission(), tmp_path / "ada.ipynb")
    assert main(["grade", str(tmp_path / "ada.ipynb"), "--source", str(tmp_path / "99_fixture.ipynb")]) == 0
    captured = capsys.readouterr()
    assert "warning: learners' kernels are not isolated: unshare failed" in captured.err
    assert "2 / 5 points" in captured.out
