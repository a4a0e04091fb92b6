"""The exercises, both ways: the instructor edition passes every check, the student edition fails
every check with its learner-facing message while every other cell still runs, and the format.

Which notebooks: every chapter notebook with exercises (found on disk, so new chapters join by
themselves) plus ``FIXTURE``, a small chapter built here, so the machinery is tested even before
a chapter exists and the broken copies below are broken in known ways.

What runs. Each notebook's *exercise section* (setup cell, the earlier cells' imports, every
cell from the first exercise on; see lib/grading.py) runs once per edition, all of them in one
kernel with ``%reset -f`` before each (``execute_together``): one kernel start and one torch
import for the whole module instead of two per chapter. The cells before the exercises are the
same code in both editions (asserted below) and the test command's nbval run of the instructor
notebooks executes them in full; running the training chapters again here would cost minutes
and test nothing new. nbgrader (requirements-instructor.txt) proves that our student edition is
exactly what ``nbgrader generate_assignment`` releases and that ``nbgrader autograde`` grades it.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from lib import checks, coursework, grading
from lib.coursework import CHAPTERS, NOT_IMPLEMENTED, SETUP_CELL, Exercise

# --- a small chapter, and the notebooks under test ------------------------------------------


def _solution(label: str) -> dict:
    return {"nbgrader": {"grade": False, "solution": True, "locked": False, "grade_id": f"{label}-solution",
                         "schema_version": 3, "task": False}}


def _check(label: str, points: int) -> dict:
    return {"nbgrader": {"grade": True, "solution": False, "locked": True, "grade_id": f"{label}-check",
                         "points": points, "schema_version": 3, "task": False}}


def _code_exercise(label: str, solution: str, check: str, points: int) -> list:
    return [new_markdown_cell(f"```{{exercise}} Write it\n:label: {label}\nWrite the function.\n```"),
            new_markdown_cell(f"```{{solution-start}} {label}\n:class: dropdown\n```"),
            new_code_cell(solution, metadata=_solution(label)),
            new_markdown_cell("```{solution-end}\n```"),
            new_code_cell(check, metadata=_check(label, points))]


SCORES = ("def dot_product_scores(query, keys):\n    \"\"\"(B, d), (B, T, d) -> (B, T)\"\"\"\n"
          "    ### BEGIN SOLUTION\n    return torch.bmm(query.unsqueeze(1), keys.transpose(1, 2)).squeeze(1)\n"
          "    ### END SOLUTION")
WEIGHTS = ("def attention_weights(scores, mask):\n    ### BEGIN SOLUTION\n"
           "    return torch.softmax(scores.masked_fill(~mask, float('-inf')), dim=-1)\n    ### END SOLUTION")
SECRET = "the secret written answer"


def fixture() -> nbformat.NotebookNode:
    """A chapter with two checked code exercises and two written ones (one-cell and gated)."""
    cells = [new_markdown_cell("# 99. A fixture"), new_code_cell(SETUP_CELL.read_text("utf-8").strip()),
             new_code_cell("import torch\nfrom lib import checks\nx = torch.ones(2)"),
             new_code_cell("total = x.sum()"), new_markdown_cell("## Exercises")]
    cells += _code_exercise("ex-99-scores", SCORES, "checks.check_dot_product_scores(dot_product_scores)", 2)
    cells += _code_exercise("ex-99-weights", WEIGHTS, "checks.check_attention_weights(attention_weights)", 3)
    cells += [new_markdown_cell("```{exercise} Why\n:label: ex-99-why\nWhy?\n```"),
              new_markdown_cell(f"```{{solution}} ex-99-why\n{SECRET}\n```"),
              new_markdown_cell("```{exercise} Sum\n:label: ex-99-sum\nAdd.\n```"),
              new_markdown_cell("```{solution-start} ex-99-sum\n:class: dropdown\n```"),
              new_code_cell(f"print('{SECRET}')"), new_markdown_cell("```{solution-end}\n```"),
              new_code_cell("y = torch.zeros(3)\nprint(y.shape)")]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


FIXTURE = fixture()
CHAPTER_PATHS = coursework.chapter_notebooks()
NOTEBOOKS = {"99_fixture.ipynb": FIXTURE} | {
    p.name: nbformat.read(p, as_version=4) for p in CHAPTER_PATHS if coursework.exercises(p)}
NAMES = list(NOTEBOOKS)


def _require_nbgrader() -> None:
    if not coursework.has_nbgrader():
        pytest.fail("nbgrader is not installed: `pip install -r requirements-instructor.txt`")


def _code_exercises(name: str) -> list[Exercise]:
    return [e for e in coursework.exercises(NOTEBOOKS[name]) if e.kind == "code"]


@pytest.fixture(scope="module")
def runs() -> dict[tuple[str, str], nbformat.NotebookNode]:
    """Every notebook's exercise section, instructor and student edition, run in one kernel."""
    keys = [(name, edition) for name in NAMES for edition in ("instructor", "student")]
    sections = [grading.exercise_section(NOTEBOOKS[name] if edition == "instructor"
                                         else coursework.student_edition(NOTEBOOKS[name])) for name, edition in keys]
    return dict(zip(keys, grading.execute_together(sections)))


def _errors(cell: nbformat.NotebookNode) -> list:
    return [o for o in cell.outputs if o.output_type == "error"]


# --- (a) the instructor edition passes, (b) the student edition fails with the message ------


@pytest.mark.parametrize("name", NAMES)
def test_instructor_edition_passes_every_check(name, runs):
    executed, checked = runs[name, "instructor"], {e.grade_id for e in _code_exercises(name)}
    assert checked, f"{name} has no checked exercise"
    for cell in (c for c in executed.cells if c.cell_type == "code"):
        assert cell.execution_count is not None, f"{name}: a cell did not run:\n{cell.source}"
        assert not _errors(cell), f"{name}: {cell.source!r} raised {_errors(cell)[0].evalue}"
    passed = [r for r in grading.results(executed, coursework.exercises(NOTEBOOKS[name])) if r.score == r.points]
    assert {r.grade_id for r in passed} == checked
    assert all(r.message.startswith("✓") for r in passed), [r.message for r in passed]


@pytest.mark.parametrize("name", NAMES)
def test_student_edition_fails_every_check_with_its_message_and_runs_the_rest(name, runs):
    executed, checked = runs[name, "student"], {e.grade_id for e in _code_exercises(name)}
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


# --- the fallback is nbgrader, and nbgrader accepts the student edition ---------------------


def _edge_cases() -> nbformat.NotebookNode:
    solution = _solution("x")["nbgrader"]
    cells = [
        new_code_cell("def f():\n\t### BEGIN SOLUTION\n\treturn 1\n\t### END SOLUTION\n\ndef g():\n"
                      "    if True:\n        ### BEGIN SOLUTION\n        return 2\n        ### END SOLUTION",
                      metadata={"nbgrader": {**solution, "grade_id": "two-regions"}}),
        new_code_cell("answer = 42", metadata={"nbgrader": {**solution, "grade_id": "whole"}}),
        new_markdown_cell("Say:\n  ### BEGIN SOLUTION\n  hi\n  ### END SOLUTION",
                          metadata={"nbgrader": {**solution, "grade": True, "points": 1, "grade_id": "text"}}),
        new_markdown_cell("anything", metadata={"nbgrader": {**solution, "grade": True, "points": 1,
                                                          "grade_id": "text-whole"}}),
        new_code_cell("assert True", metadata={**_check("y", 1.5), "collapsed": True, "scrolled": True},
                      execution_count=3, outputs=[nbformat.v4.new_output("stream", text="out")]),
        new_code_cell("read_only = 1", metadata={"nbgrader": {"grade": False, "solution": False, "locked": True,
                                                              "grade_id": "ro", "schema_version": 3}}),
        new_code_cell("print(1)", execution_count=1, outputs=[nbformat.v4.new_output("stream", text="1")]),
    ]
    nb = new_notebook(cells=cells, metadata={"celltoolbar": "Create Assignment",
                                             "kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    return nb


@pytest.mark.parametrize("name", ["edge cases"] + NAMES)
def test_clear_solutions_equals_nbgrader(name):
    _require_nbgrader()
    nb = _edge_cases() if name == "edge cases" else coursework.nbgrader_source(NOTEBOOKS[name])
    ours, theirs = coursework.clear_solutions(copy.deepcopy(nb)), coursework.nbgrader_clear(copy.deepcopy(nb))
    assert ours == theirs


def test_clear_solutions_follows_nbgrader_convention():
    cells = coursework.clear_solutions(_edge_cases()).cells
    assert cells[0].source == ("def f():\n\t# YOUR CODE HERE\n\traise NotImplementedError()\n\ndef g():\n"
                               "    if True:\n        # YOUR CODE HERE\n        raise NotImplementedError()")
    assert [c.source for c in cells[1:4]] == [coursework.CODE_STUB, "Say:\n  YOUR ANSWER HERE", "YOUR ANSWER HERE"]
    assert cells[4].outputs == [] and "collapsed" not in cells[4].metadata and cells[4].metadata["editable"] is False
    for source, error in [("### BEGIN SOLUTION\nx", "no end"), ("### BEGIN SOLUTION\n### BEGIN SOLUTION", "nested")]:
        with pytest.raises(coursework.FormatError, match=error):
            coursework.clear_solutions(new_notebook(cells=[new_code_cell(source, metadata=_solution("z"))]))
    with pytest.raises(coursework.FormatError, match="non-solution cell"):
        coursework.clear_solutions(new_notebook(cells=[new_code_cell("### BEGIN SOLUTION\n### END SOLUTION")]))


def _nbgrader(course, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--force"], cwd=course,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_nbgrader_releases_our_student_edition_and_autogrades_it(tmp_path):
    _require_nbgrader()
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'course'\n")
    for name, nb in NOTEBOOKS.items():
        (tmp_path / "source" / "ps").mkdir(parents=True, exist_ok=True)
        nbformat.write(coursework.nbgrader_source(nb), tmp_path / "source" / "ps" / name)
    _nbgrader(tmp_path, "generate_assignment", "ps")
    for name, nb in NOTEBOOKS.items():
        assert nbformat.read(tmp_path / "release" / "ps" / name, as_version=4) == coursework.student_edition(nb)
    # autograde runs whole notebooks, training included: the fixture only (nbgrader skips the rest)
    submission = _submission()
    (tmp_path / "submitted" / "ada" / "ps").mkdir(parents=True)
    nbformat.write(submission, tmp_path / "submitted" / "ada" / "ps" / "99_fixture.ipynb")
    _nbgrader(tmp_path, "autograde", "ps")
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gradebook:
        grades = {g.name: g.score for n in gradebook.find_submission("ps", "ada").notebooks
                  for g in n.grades if n.name == "99_fixture"}
    assert grades == {"ex-99-scores-check": 2.0, "ex-99-weights-check": 0.0}
    graded = nbformat.read(tmp_path / "autograded" / "ada" / "ps" / "99_fixture.ipynb", as_version=4)
    assert NOT_IMPLEMENTED in json.dumps([c.outputs for c in graded.cells if c.cell_type == "code"])


def _submission() -> nbformat.NotebookNode:
    """The fixture's student edition with ex-99-scores solved, its other check cell emptied."""
    nb = coursework.student_edition(FIXTURE)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "ex-99-scores-solution":
            cell.source = SCORES
        if grade_id == "ex-99-weights-check":
            cell.source = "pass  # a learner who 'fixed' the check"
    return nb


# --- grading without nbgrader ---------------------------------------------------------------


def test_grade_counts_only_solution_cells_and_reports_json(tmp_path, capsys):
    nbformat.write(FIXTURE, tmp_path / "99_fixture.ipynb")
    submitted = tmp_path / "ada.ipynb"
    nbformat.write(_submission(), submitted)
    assert grading.main(["grade", str(submitted), "--source", str(tmp_path / "99_fixture.ipynb"), "--json"]) == 0
    (report,) = json.loads(capsys.readouterr().out)
    assert (report["score"], report["max_score"]) == (2.0, 5.0)
    scores, weights = report["exercises"]
    assert scores["score"] == 2.0 and scores["message"].startswith("✓ dot_product_scores is correct")
    assert weights["score"] == 0.0 and NOT_IMPLEMENTED in weights["message"]


def test_student_edition_command_writes_the_same_file_with_and_without_nbgrader(tmp_path):
    _require_nbgrader()
    nbformat.write(FIXTURE, tmp_path / "99_fixture.ipynb")
    for out, flag in (("a", []), ("b", ["--without-nbgrader"])):
        assert grading.main(["student-edition", str(tmp_path / "99_fixture.ipynb"), "--out", str(tmp_path / out), *flag]) == 0
    assert (tmp_path / "a" / "99_fixture.ipynb").read_bytes() == (tmp_path / "b" / "99_fixture.ipynb").read_bytes()


# --- (c) the format ------------------------------------------------------------------------


@pytest.mark.parametrize("path", CHAPTER_PATHS, ids=[p.name for p in CHAPTER_PATHS])
def test_every_chapter_follows_the_exercise_format(path):
    assert coursework.validate(path) == []


def test_the_fixture_follows_it_and_grade_ids_are_unique_across_the_book():
    assert coursework.validate(FIXTURE, name="99_fixture.ipynb") == []
    assert coursework.validate_book() == []
    assert NOT_IMPLEMENTED == checks.NOT_IMPLEMENTED


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
    exercise = _code_exercises(name)[0]
    breaking, message = BREAKAGES[breakage]
    breaking(nb, exercise)
    problems = coursework.validate(nb, name=name)
    assert any(message in p for p in problems), f"{breakage}: expected {message!r} in {problems}"
    assert all(p.startswith(f"{name}: ") for p in problems)


def test_validate_book_reports_a_grade_id_used_in_two_chapters(tmp_path):
    for name in ("98_copy.ipynb", "99_fixture.ipynb"):
        nbformat.write(FIXTURE, tmp_path / name)
    problems = coursework.validate_book(sorted(tmp_path.glob("*.ipynb")))
    assert "99_fixture.ipynb: grade_id 'ex-99-scores-check' is already used in 98_copy.ipynb" in problems
    assert grading.main(["validate", *map(str, sorted(tmp_path.glob("*.ipynb")))]) == 1


# --- the instructors' page ------------------------------------------------------------------


def test_the_instructors_page_lists_every_exercise_as_the_notebooks_say():
    page = (CHAPTERS / "instructors.md").read_text("utf-8")
    assert coursework.TABLE_START in page and coursework.TABLE_END in page
    listed = page.split(coursework.TABLE_START, 1)[1].split(coursework.TABLE_END, 1)[0].strip()
    assert listed == grading.table(), (
        "chapters/instructors.md's exercise table is out of date: run "
        "`python -m coursework table --write chapters/instructors.md`")
    for command in ("student-edition", "nbgrader-source", "grade", "validate", "generate_assignment", "autograde"):
        assert command in page, f"chapters/instructors.md does not explain `{command}`"
