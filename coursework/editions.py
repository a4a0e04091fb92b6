"""The editions of an instructor notebook: nbgrader's source, and the learner's (student) edition.

:func:`nbgrader_source` readies an instructor notebook for learners without touching the code
solutions: each ``{exercise}`` directive becomes plain Markdown (Jupyter and Colab show MyST
directives as raw code blocks), the ``solution-start`` / ``solution-end`` gates around a code
solution go (the cell between them becomes the learner's workspace, not a solution to reveal),
and a written answer (a ``{solution}`` cell, or the cells between the gates of an exercise
without a solution cell) becomes one ``YOUR ANSWER HERE`` cell, nbgrader's text stub.
:func:`student_edition` then runs nbgrader's own preprocessors on it, as ``nbgrader
generate_assignment`` does: lock cells, replace each solution region by ``# YOUR CODE HERE`` /
``raise NotImplementedError()``, clear outputs, add checksums.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from .exercise_format import FormatError, parse
from .notebooks import directive, name_of, read

__all__ = ["CODE_STUB", "TEXT_STUB", "nbgrader_source", "student_edition"]

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"  # nbgrader's ClearSolutions.code_stub
TEXT_STUB = "YOUR ANSWER HERE"  # nbgrader's ClearSolutions.text_stub


def nbgrader_source(notebook: Path | str | NotebookNode) -> NotebookNode:
    """The instructor notebook readied for learners, code solutions still in (module docstring)."""
    nb = copy.deepcopy(read(notebook))
    found, problems = parse(nb)
    if problems:
        raise FormatError(f"{name_of(notebook)}: " + "; ".join(problems))
    drop: dict[int, str | None] = {}  # cell index -> None, or the label of the answer cell put there
    for exercise in found:
        if exercise.kind == "code":
            drop.update({exercise.cell + 1: None, exercise.end - 1: None})  # the two gates
        else:
            drop.update({k: None for k in range(exercise.cell + 2, exercise.end + 1)})
            drop[exercise.cell + 1] = exercise.label
    cells = []
    for index, cell in enumerate(nb.cells):
        if index in drop:
            if drop[index]:
                cells.append(nbformat.v4.new_markdown_cell(TEXT_STUB, id=f"{drop[index]}-answer"))
            continue
        if match := directive(cell, "exercise"):
            label = next(e.label for e in found if e.cell == index)
            body = re.sub(r"^:[\w-]+:.*\n", "", match["body"], flags=re.MULTILINE).strip()
            text = f"**Exercise ({label}): {match['arg'].strip()}**\n\n{body}"
            cell.source = cell.source[:match.start()] + text + cell.source[match.end():]
            cell.metadata["coursework"] = {"exercise": label}
        cells.append(cell)
    nb.cells = cells
    return nb


def student_edition(notebook: Path | str | NotebookNode) -> NotebookNode:
    """The learner's notebook: nbgrader's own LockCells, ClearSolutions, ClearOutput,
    CheckCellMetadata and ComputeChecksums, in ``nbgrader generate_assignment``'s order (its
    database steps left out), on :func:`nbgrader_source`."""
    from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, ClearSolutions, ComputeChecksums, LockCells
    nb, resources = nbgrader_source(notebook), {}
    for step in (LockCells, ClearSolutions, ClearOutput, CheckCellMetadata, ComputeChecksums):
        nb, resources = step().preprocess(nb, resources)
    return nb
