"""The exercise format: every chapter follows it, and validate names what breaks it."""

from __future__ import annotations

import copy

import nbformat
import pytest
from nbformat.v4 import new_code_cell

import coursework
from coursework.__main__ import main
from coursework import Exercise
from under_test import CHAPTER_PATHS, FIXTURE, NAMES, NOTEBOOKS, code_exercises


@pytest.mark.parametrize("path", CHAPTER_PATHS, ids=[p.name for p in CHAPTER_PATHS])
def test_every_chapter_follows_the_exercise_format(path):
    assert coursework.validate(path) == []


def test_the_fixture_follows_it_and_grade_ids_are_unique_across_the_book():
    assert coursework.validate(FIXTURE, name="99_fixture.ipynb") == []
    assert coursework.validate_book() == []


def _set(role: str, key: str, value: object):
    def breaking(nb: nbformat.NotebookNode, e: Exercise) -> None:
        meta = nb.cells[e.solution_cell if role == "solution" else e.check_cell].metadata["nbgrader"]
        if value is None:
            del meta[key]
        else:
            meta[key] = value
    return breaking


BREAKAGES = {  # name: (how to break a copy's first code exercise, what the message must say)
    "solution metadata missing": (lambda nb, e: nb.cells[e.solution_cell].metadata.clear(), "nbgrader metadata"),
    "check cell not locked": (_set("check", "locked", False), "'locked': False"),
    "check cell without points": (_set("check", "points", None), "`points` > 0"),
    "wrong grade_id": (_set("check", "grade_id", "ex-x"), "'grade_id': 'ex-x'"),
    "markers missing": (lambda nb, e: setattr(nb.cells[e.solution_cell], "source", "def f():\n    pass"),
                        "### BEGIN SOLUTION"),
    "marker not in a function": (lambda nb, e: setattr(nb.cells[e.solution_cell], "source",
                                 "### BEGIN SOLUTION\nf = 1\n### END SOLUTION"), "inside the function body"),
    "no solution-end": (lambda nb, e: nb.cells.pop(e.check_cell - 1), "no `solution-end`"),
    "check calls no check": (lambda nb, e: setattr(nb.cells[e.check_cell], "source", "assert True"), "lib.checks"),
    "later cell uses the learner's function": (
        lambda nb, e: nb.cells.append(new_code_cell(f"{e.learner[0]}\n")), "raises NotImplementedError"),
    "section uses earlier state": (lambda nb, e: nb.cells.append(new_code_cell("print(undefined_earlier)")),
                                   "['undefined_earlier'], which the exercise section neither defines"),
    "setup cell not first": (lambda nb, e: nb.cells.insert(1, new_code_cell("x = 1")), "_setup_cell.py"),
    "marker outside a solution cell": (lambda nb, e: nb.cells.append(new_code_cell("# ### BEGIN SOLUTION")),
                                       "a solution marker outside"),
}


@pytest.mark.parametrize("breakage", BREAKAGES)
@pytest.mark.parametrize("name", NAMES)
def test_validate_reports_a_broken_copy(name, breakage):
    nb = copy.deepcopy(NOTEBOOKS[name])
    exercise = code_exercises(name)[0]
    breaking, message = BREAKAGES[breakage]
    breaking(nb, exercise)
    problems = coursework.validate(nb, name=name)
    assert any(message in p for p in problems), f"{breakage}: expected {message!r} in {problems}"
    assert all(p.startswith(f"{name}: ") for p in problems)


def test_validate_book_reports_a_grade_id_used_in_two_chapters(tmp_path):
    for name in ("98_copy.ipynb", "99_fixture.ipynb"):
        nbformat.write(FIXTURE, tmp_path / name)
    problems = coursework.validate_book(sorted(tmp_path.glob("*.ipynb")))
    assert any(p.startswith("99_fixture.ipynb: cell ") and p.endswith(
        ": grade_id 'ex-99-scores-check' is already used in 98_copy.ipynb") for p in problems), problems
    assert main(["validate", *map(str, sorted(tmp_path.glob("*.ipynb")))]) == 1
