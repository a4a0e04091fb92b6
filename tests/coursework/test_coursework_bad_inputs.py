"""Bad input to the coursework commands: each case's exit status, one line naming what is wrong
(the notebook, and the cell where there is one), no traceback, nothing overwritten, and fast.

A case builds its inputs in a temporary folder (which holds the fixture chapter as
``src/99_fixture.ipynb``) and returns the command's arguments; ``CASES`` says what must come out.
Grading bad *submissions* (a loop, a crash, tampering) is test_grading_class.py's table.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import nbformat
import pytest

import coursework
from coursework.__main__ import CANNOT, FOUND_PROBLEMS, main
from coursework.notebooks import NotebookError
from coursework.output import OutputError, targets
from under_test import FIXTURE

SECONDS = 20  # every case is file handling and parsing; none starts a kernel or may hang
NAME = "99_fixture.ipynb"


def _notebook(tmp: Path, text: str, name: str = NAME) -> str:
    path = tmp / "bad" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, "utf-8")
    return str(path)


def _broken_cell(tmp: Path) -> str:
    nb = nbformat.read(tmp / "src" / NAME, as_version=4)
    solution = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution"))
    nb.cells[solution].source = "def dot_product_scores(query, keys:\n    ### BEGIN SOLUTION\n    ### END SOLUTION"
    return _notebook(tmp, nbformat.writes(nb))


def _existing(tmp: Path) -> list[str]:
    (tmp / "out").mkdir()
    (tmp / "out" / NAME).write_text("a learner's work", "utf-8")
    return ["student-edition", str(tmp / "src" / NAME), "--out", str(tmp / "out")]


def _symlink(tmp: Path) -> list[str]:
    (tmp / "link").symlink_to(tmp / "src", target_is_directory=True)
    return ["student-edition", str(tmp / "src" / NAME), "--out", str(tmp / "link"), "--force"]


def _hard_link(tmp: Path) -> list[str]:
    (tmp / "out").mkdir()
    os.link(tmp / "src" / NAME, tmp / "out" / NAME)
    return ["student-edition", str(tmp / "src" / NAME), "--out", str(tmp / "out"), "--force"]


def _dot(tmp: Path) -> list[str]:
    os.chdir(tmp / "src")
    return ["student-edition", NAME, "--out", ".", "--force"]


def _twins(tmp: Path) -> list[str]:
    (tmp / "other").mkdir()
    nbformat.write(FIXTURE, tmp / "other" / NAME)
    return ["student-edition", str(tmp / "src" / NAME), str(tmp / "other" / NAME), "--out", str(tmp / "out")]


def _file_out(tmp: Path) -> list[str]:
    (tmp / "afile").write_text("x", "utf-8")
    return ["student-edition", str(tmp / "src" / NAME), "--out", str(tmp / "afile")]


def _under_file(tmp: Path) -> list[str]:
    (tmp / "afile").write_text("x", "utf-8")
    return ["student-edition", str(tmp / "src" / NAME), "--out", str(tmp / "afile" / "student")]


def _page_without_table(tmp: Path) -> list[str]:
    (tmp / "page.md").write_text("# Instructors\n", "utf-8")
    return ["--chapters", str(tmp / "src"), "table", "--write", str(tmp / "page.md")]


def _student_source(tmp: Path) -> list[str]:
    (tmp / "student").mkdir()
    nbformat.write(coursework.student_edition(FIXTURE), tmp / "student" / NAME)
    return ["grade", str(tmp / "src" / NAME), "--source", str(tmp / "student" / NAME)]


def _existing_report(tmp: Path) -> list[str]:
    (tmp / "report.jsonl").write_text("last week's grades\n", "utf-8")
    return ["grade", str(tmp / "src" / NAME), "--report", str(tmp / "report.jsonl")]


TRUNCATED = nbformat.writes(FIXTURE)[:500]
NOT_A_NOTEBOOK = json.dumps([1, 2])
NO_CELL_TYPE = json.dumps({"cells": [{"source": "x = 1"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})

# name: (the arguments, built in tmp; exit status; words the one line on stderr must hold; for
#        validate and grade, whose report is on stdout, words of stdout instead)
CASES = {
    "--out is the sources' folder": (
        lambda t: ["student-edition", str(t / "src" / NAME), "--out", str(t / "src"), "--force"],
        CANNOT, ["refusing", NAME, "notebook being read"]),
    "--out is `.` in the sources' folder": (_dot, CANNOT, ["refusing", "notebook being read", "--out ."]),
    "--out is a symlink to the sources' folder": (_symlink, CANNOT, ["refusing", "notebook being read"]),
    "--out holds a hard link to the source": (_hard_link, CANNOT, ["refusing", "notebook being read"]),
    "an edition already in --out": (_existing, CANNOT, ["already exists", "--force"]),
    "two sources with the same name": (_twins, CANNOT, ["would both be written", NAME]),
    "--out is a file": (_file_out, CANNOT, ["afile is a file", "not a folder"]),
    "--out is under a file": (_under_file, CANNOT, ["is under", "afile, which is a file"]),
    "a truncated notebook": (lambda t: ["student-edition", _notebook(t, TRUNCATED), "--out", str(t / "out")],
                             CANNOT, [NAME, "not valid JSON", "line", "truncated"]),
    "an empty notebook file": (lambda t: ["student-edition", _notebook(t, ""), "--out", str(t / "out")],
                               CANNOT, [NAME, "is empty"]),
    "JSON that is not a notebook": (
        lambda t: ["student-edition", _notebook(t, NOT_A_NOTEBOOK), "--out", str(t / "out")],
        CANNOT, [NAME, "not a notebook", "cells"]),
    "a cell without a cell_type": (lambda t: ["student-edition", _notebook(t, NO_CELL_TYPE), "--out", str(t / "out")],
                                   CANNOT, [NAME, "cell 1", "not a notebook cell"]),
    "a notebook that does not exist": (lambda t: ["student-edition", str(t / "nowhere.ipynb"), "--out", str(t / "out")],
                                       CANNOT, ["nowhere.ipynb", "does not exist"]),
    "a folder given as a notebook": (lambda t: ["student-edition", str(t / "src"), "--out", str(t / "out")],
                                     CANNOT, ["src", "is a folder"]),
    "a solution cell that does not parse": (
        lambda t: ["student-edition", _broken_cell(t), "--out", str(t / "out")], CANNOT,
        [NAME, "cell 8", "does not parse"]),
    "validate: a truncated notebook": (lambda t: ["validate", _notebook(t, TRUNCATED)], FOUND_PROBLEMS,
                                       [f"{NAME}: is not valid JSON", "truncated"]),
    "validate: a cell that does not parse": (lambda t: ["validate", _broken_cell(t)], FOUND_PROBLEMS,
                                             [f"{NAME}: cell 8: does not parse"]),
    "grade: a truncated submission": (
        lambda t: ["grade", _notebook(t, TRUNCATED, "ada.ipynb"), "--source", str(t / "src" / NAME)],
        FOUND_PROBLEMS, ["ada.ipynb", "NOT GRADED", "not valid JSON"]),
    "grade: a submission that does not exist": (
        lambda t: ["grade", str(t / "ada.ipynb"), "--source", str(t / "src" / NAME)],
        FOUND_PROBLEMS, ["ada.ipynb", "NOT GRADED", "does not exist"]),
    "grade: no instructor notebook of that name": (
        lambda t: ["--chapters", str(t), "grade", _notebook(t, nbformat.writes(FIXTURE), "ada.ipynb")],
        FOUND_PROBLEMS, ["ada.ipynb", "NOT GRADED", "does not exist", "--source"]),
    "grade: a time limit of zero": (
        lambda t: ["grade", str(t / "src" / NAME), "--timeout", "0"], CANNOT,
        ["--timeout", "must be a positive number of seconds", "got 0"]),
    "grade: a time limit that is not a number": (  # nan compares False with everything: it disabled the limit
        lambda t: ["grade", str(t / "src" / NAME), "--timeout", "nan"], CANNOT,
        ["--timeout", "must be a positive number of seconds", "got nan"]),
    "grade: an endless cell limit": (
        lambda t: ["grade", str(t / "src" / NAME), "--cell-timeout", "inf"], CANNOT,
        ["--cell-timeout", "must be a positive number of seconds", "got inf"]),
    "grade: a student edition as --source": (_student_source, CANNOT, ["has no solutions", "student", "--source"]),
    "grade: a report file that exists": (_existing_report, CANNOT, ["report.jsonl exists", "--force"]),
    "validate: a chapters folder that does not exist": (
        lambda t: ["--chapters", str(t / "nowhere"), "validate"], CANNOT, ["nowhere", "is not a folder", "--chapters"]),
    "validate: a chapters folder without chapters": (
        lambda t: (t / "empty").mkdir() or ["--chapters", str(t / "empty"), "validate"], CANNOT,
        ["empty", "holds no chapter notebooks", "--chapters"]),
    "table: a page without the table's markers": (_page_without_table, CANNOT, ["page.md", "no exercises table"]),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_gets_one_line_naming_it(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    nbformat.write(FIXTURE, tmp_path / "src" / NAME)
    before = (tmp_path / "src" / NAME).read_bytes()
    build, status, words = CASES[case]
    argv = build(tmp_path)
    started = time.monotonic()
    assert main(argv) == status
    assert time.monotonic() - started < SECONDS
    out, err = capsys.readouterr()
    said = out + err
    assert "Traceback" not in said
    missing = [w for w in words if w not in said]
    assert not missing, f"{case}: {missing} not in {said!r}"
    if status == CANNOT:
        assert len(err.strip().splitlines()) == 1 and err.startswith("error: "), err
    assert (tmp_path / "src" / NAME).read_bytes() == before, "the source was changed"
    if case == "grade: a report file that exists":
        assert (tmp_path / "report.jsonl").read_text("utf-8") == "last week's grades\n"
    if (tmp_path / "out" / NAME).exists() and case == "an edition already in --out":
        assert (tmp_path / "out" / NAME).read_text("utf-8") == "a learner's work"


# The same checks through the Python API: the error's type and words.
API_CASES = {
    "read a truncated notebook": (lambda t: coursework.student_edition(_notebook(t, TRUNCATED)),
                                  NotebookError, [NAME, "not valid JSON"]),
    "a target that is the source": (lambda t: targets([t / "src" / NAME], t / "src", force=True),
                                    OutputError, ["notebook being read"]),
    "an existing target": (lambda t: targets([t / "src" / NAME], Path(_existing(t)[-1])),
                           OutputError, ["already exists", "--force"]),
    "a format error names the notebook": (lambda t: coursework.student_edition(_broken_cell(t)),
                                          coursework.FormatError, [NAME, "cell 8", "does not parse"]),
    "grade without its source": (lambda t: coursework.grade(t / "src" / NAME, t / "none.ipynb"),
                                 NotebookError, ["none.ipynb", "does not exist", "--source"]),
}


@pytest.mark.parametrize("case", API_CASES)
def test_bad_input_raises_a_named_error(case, tmp_path):
    (tmp_path / "src").mkdir()
    nbformat.write(FIXTURE, tmp_path / "src" / NAME)
    build, error, words = API_CASES[case]
    started = time.monotonic()
    with pytest.raises(error) as raised:
        build(tmp_path)
    assert time.monotonic() - started < SECONDS
    assert not [w for w in words if w not in str(raised.value)], str(raised.value)


def test_force_replaces_an_edition_but_never_the_source(tmp_path):
    nbformat.write(FIXTURE, tmp_path / NAME)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / NAME).write_text("old", "utf-8")
    assert main(["student-edition", str(tmp_path / NAME), "--out", str(tmp_path / "out"), "--force"]) == 0
    assert nbformat.read(tmp_path / "out" / NAME, as_version=4) == coursework.student_edition(FIXTURE)
    assert nbformat.read(tmp_path / NAME, as_version=4) == FIXTURE
