"""Running exercises and grading them: the exercise section, nbclient, points.

Why the exercise section runs alone. Exercises close a chapter, and the cells before the first
exercise are the same code in the instructor notebook and in the student edition (the student
edition only changes solution, check and exercise cells, and those all sit in the section), so
running them once per notebook is enough, and the full run of the instructor notebooks by the
test command (nbval) does that. The section is the part whose behaviour differs between
editions; it runs after the setup cell and the earlier cells' ``import`` statements, which is
cheap even in chapters that train a model before their exercises.
:func:`coursework.exercise_format.validate` checks statically that the section needs nothing
else, and running it proves it.

Every notebook runs through :func:`execute`, the one place that starts a kernel (and so the place
for time limits or a sandbox).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from .editions import student_edition
from .exercise_format import Exercise, exercises, section_start
from .notebooks import CHAPTERS, grader, imports, read

__all__ = ["exercise_section", "execute", "execute_together", "Result", "results", "grade"]


def exercise_section(nb: NotebookNode) -> NotebookNode:
    """The setup cell, one cell with the earlier cells' imports, then the exercise section."""
    start = section_start(nb)
    earlier = [c for c in nb.cells[:start] if c.cell_type == "code"]
    section = copy.deepcopy(nb)
    imported = "\n".join(filter(None, (imports(c.source) for c in earlier[1:])))
    section.cells = copy.deepcopy(earlier[:1]) + [nbformat.v4.new_code_cell(imported)] + section.cells[start:]
    return section


def execute(nb: NotebookNode, *, cwd: Path = CHAPTERS, timeout: int = 600) -> NotebookNode:
    """Run every cell with nbclient in ``cwd``; errors are recorded in the outputs, not raised."""
    from nbclient import NotebookClient
    NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def execute_together(notebooks: list[NotebookNode], *, cwd: Path = CHAPTERS,
                     timeout: int = 600) -> list[NotebookNode]:
    """Run several notebooks in one kernel, each after ``%reset -f``: each starts from an empty
    namespace, but imported modules stay loaded, which saves a kernel start and torch's import
    per notebook. For the course's own notebooks (the tests); :func:`grade` gives each
    learner a kernel of their own, since learner code could change a shared module."""
    combined, spans = nbformat.v4.new_notebook(), []
    for nb in notebooks:
        code = [c for c in nb.cells if c.cell_type == "code"]
        combined.cells.append(nbformat.v4.new_code_cell("%reset -f"))
        spans.append((len(combined.cells), len(combined.cells) + len(code)))
        combined.cells += [nbformat.v4.new_code_cell(c.source, metadata=copy.deepcopy(c.metadata)) for c in code]
    execute(combined, cwd=cwd, timeout=timeout)
    parts = []
    for nb, (start, stop) in zip(notebooks, spans):
        part = copy.deepcopy(nb)
        for cell, done in zip((c for c in part.cells if c.cell_type == "code"), combined.cells[start:stop]):
            cell.outputs, cell.execution_count = done.outputs, done.execution_count
        parts.append(part)
    return parts


@dataclass(frozen=True)
class Result:
    """One checked exercise of a graded notebook."""

    label: str
    grade_id: str
    points: float
    score: float
    message: str  # what the check printed, or the error it raised


def results(executed: NotebookNode, found: list[Exercise]) -> list[Result]:
    """Per checked exercise: its points if its check cell ran without an error, else 0."""
    cells = {grader(c).get("grade_id"): c for c in executed.cells if "nbgrader" in c.metadata}
    out = []
    for exercise in (e for e in found if e.kind == "code"):
        cell = cells.get(exercise.grade_id)
        ran = cell is not None and cell.execution_count is not None
        errors = [o for o in cell.outputs if o.output_type == "error"] if ran else []
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream").strip() if ran else ""
        message = f"{errors[0].ename}: {errors[0].evalue}" if errors else (text if ran else "did not run")
        out.append(Result(exercise.label, exercise.grade_id or "", exercise.points,
                          exercise.points if ran and not errors else 0.0, message))
    return out


def grade(submission: Path, source: Path | None = None) -> list[Result]:
    """Grade a learner's notebook. Only its solution cells count, matched by grade_id: they go
    into a fresh student edition of ``source`` (default: the chapter with the same file name),
    so edited check cells or deleted cells change nothing; its exercise section then runs."""
    source = source or CHAPTERS / submission.name
    if not source.exists():
        raise FileNotFoundError(f"{source} does not exist: name the instructor notebook with --source")
    answers = {grader(c).get("grade_id"): c.source for c in read(submission).cells if grader(c).get("solution")}
    graded = student_edition(source)
    for cell in graded.cells:
        if grader(cell).get("solution") and grader(cell).get("grade_id") in answers:
            cell.source = answers[grader(cell)["grade_id"]]
    return results(execute(exercise_section(graded), cwd=source.parent), exercises(source))
