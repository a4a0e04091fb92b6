"""Grading outside nbgrader: only the solution cells count; the command line's reports."""

from __future__ import annotations

import json

import nbformat

import coursework
from coursework.__main__ import main
from lib.checks import NOT_IMPLEMENTED
from under_test import FIXTURE, submission


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
