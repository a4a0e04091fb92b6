"""The editions, both ways: the instructor edition passes every check, the student edition fails
every check with its learner-facing message while every other cell still runs, and hides every
solution. The student edition is nbgrader's own (its preprocessors), on our nbgrader source.

The student edition run is each chapter's committed exercise edition (``exercises/``, what the
site's Colab button opens), so that it too is proven to run with only "not implemented yet".

What runs. Each notebook's *exercise section* (setup cell, the earlier cells' imports, every
cell from the first exercise on; see coursework/grading.py) runs once per edition, all of them in
one kernel with ``%reset -f`` before each (``execute_together``): one kernel start and one torch
import for the whole module instead of two per chapter. The cells before the exercises are the
same code in both editions (asserted below), and the book build of the test command executes the
instructor notebooks in full (tests/site/test_executed_chapters.py).
"""

from __future__ import annotations


import nbformat
import pytest

import coursework
from coursework import grading
from coursework.exercise_edition import EXERCISES
from lib.checks import NOT_IMPLEMENTED
from under_test import NAMES, NOTEBOOKS, code_exercises, edge_cases


@pytest.fixture(scope="module")
def runs() -> dict[tuple[str, str], nbformat.NotebookNode]:
    """Every notebook's exercise section, instructor and student edition, run in one kernel."""
    keys = [(name, edition) for name in NAMES for edition in ("instructor", "student")]
    sections = [grading.exercise_section(NOTEBOOKS[name] if edition == "instructor" else _student(name))
                for name, edition in keys]
    return dict(zip(keys, grading.execute_together(sections)))


def _student(name: str) -> nbformat.NotebookNode:
    """A chapter's committed exercise edition (what Colab opens; the student edition with a note,
    test_exercise_edition.py), or the fixture's student edition."""
    committed = EXERCISES / name
    return nbformat.read(committed, as_version=4) if committed.is_file() else coursework.student_edition(NOTEBOOKS[name])


def _errors(cell: nbformat.NotebookNode) -> list:
    return [o for o in cell.outputs if o.output_type == "error"]


@pytest.mark.parametrize("name", NAMES)
def test_instructor_edition_passes_every_check(name, runs):
    executed, checked = runs[name, "instructor"], {e.grade_id for e in code_exercises(name)}
    assert checked, f"{name} has no checked exercise"
    for cell in (c for c in executed.cells if c.cell_type == "code"):
        assert cell.execution_count is not None, f"{name}: a cell did not run:\n{cell.source}"
        assert not _errors(cell), f"{name}: {cell.source!r} raised {_errors(cell)[0].evalue}"
    passed = [r for r in grading.results(executed, coursework.exercises(NOTEBOOKS[name])) if r.score == r.points]
    assert {r.grade_id for r in passed} == checked
    assert all(r.message.startswith("✓") for r in passed), [r.message for r in passed]


@pytest.mark.parametrize("name", NAMES)
def test_student_edition_fails_every_check_with_its_message_and_runs_the_rest(name, runs):
    executed, checked = runs[name, "student"], {e.grade_id for e in code_exercises(name)}
    failed = set()
    for cell in (c for c in executed.cells if c.cell_type == "code"):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        assert cell.execution_count is not None, f"{name}: a cell did not run:\n{cell.source}"
        if grade_id in checked:
            errors = _errors(cell)
            assert [e.ename for e in errors] == ["ExerciseError"], f"{name}: {grade_id}: {errors}"
            assert NOT_IMPLEMENTED in errors[0].evalue, errors[0].evalue
            failed.add(grade_id)
        else:
            assert not _errors(cell), f"{name}: {cell.source!r} raised {_errors(cell)[0].evalue}"
    assert failed == checked
    assert all(r.score == 0 for r in grading.results(executed, coursework.exercises(NOTEBOOKS[name])))


@pytest.mark.parametrize("name", NAMES)
def test_student_edition_hides_every_solution_and_keeps_the_rest(name):
    instructor, student = NOTEBOOKS[name], coursework.student_edition(NOTEBOOKS[name])
    start = coursework.section_start(instructor)
    assert [c.source for c in student.cells[:start]] == [c.source for c in instructor.cells[:start]]
    text = "\n".join(c.source for c in student.cells)
    for marker in ("BEGIN SOLUTION", "{solution", "{exercise}"):
        assert marker not in text, f"{name}: the student edition still has {marker!r}"
    for exercise in coursework.exercises(instructor):
        answer = [instructor.cells[i].source for i in range(exercise.cell + 1, exercise.end + 1)]
        if exercise.kind == "code":
            lines = instructor.cells[exercise.solution_cell].source.split("\n")
            hidden = lines[[i for i, l in enumerate(lines) if "BEGIN SOLUTION" in l][0] + 1]
            assert hidden.strip() and hidden not in text, f"{name}: solution line {hidden!r} leaked"
        else:
            leaked = [a for a in answer if a.strip() and a in text]
            assert not leaked, f"{name}: the written answer of {exercise.label} leaked"
    for cell in student.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
        if "nbgrader" in cell.metadata:
            assert cell.metadata["deletable"] is False and "checksum" in cell.metadata["nbgrader"]
    nbformat.validate(student)


def test_student_edition_follows_nbgrader_convention():
    """Cells outside the exercise format go through nbgrader's preprocessors as nbgrader has them."""
    cells = coursework.student_edition(edge_cases()).cells
    assert cells[0].source == ("def f():\n\t# YOUR CODE HERE\n\traise NotImplementedError()\n\ndef g():\n"
                               "    if True:\n        # YOUR CODE HERE\n        raise NotImplementedError()")
    assert [c.source for c in cells[1:4]] == [coursework.CODE_STUB, "Say:\n  YOUR ANSWER HERE", "YOUR ANSWER HERE"]
    assert cells[4].outputs == [] and "collapsed" not in cells[4].metadata and cells[4].metadata["editable"] is False
    assert all("checksum" in c.metadata["nbgrader"] for c in cells[:6])
