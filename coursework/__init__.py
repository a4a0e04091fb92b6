"""The book's tooling for instructors: the exercise format, the editions, grading, the table.

It reads ``chapters/`` from this repository and is never installed with ``lib`` (learners never
run it). Its dependencies are in ``requirements-instructor.txt`` (nbgrader, nbformat, nbclient).
From the repository root::

    python -m coursework validate [NOTEBOOK ...]                  # the format, book-wide
    python -m coursework student-edition [NOTEBOOK ...] [--out student/] [--force]
    python -m coursework exercise-edition [--check]                 # exercises/, what Colab opens
    python -m coursework nbgrader-source [NOTEBOOK ...] --out COURSE/source/ASSIGNMENT [--force]
    python -m coursework grade SUBMISSION.ipynb ... [--source NOTEBOOK] [--json] [--report FILE.jsonl]
                               [--cell-timeout 60] [--timeout 300]
    python -m coursework table [--write chapters/instructors.md]

Without NOTEBOOK arguments they take every chapter notebook (``--chapters DIR``, default
``chapters/``) with exercises. One concern a module: :mod:`.notebooks` (paths, reading, cells,
the names code uses), :mod:`.exercise_format` (parse, validate), :mod:`.editions` (nbgrader
source, student edition by nbgrader's own preprocessors), :mod:`.exercise_edition` (the editions
Colab opens, in exercises/), :mod:`.output` (writing editions
without destroying work), :mod:`.grading` (run and score), :mod:`.sandbox` (the learner's
kernel, which the checks never share), :mod:`.isolation` (the walls around it), :mod:`.table`. Every error names the notebook, and the
cell where there is one.
"""

from __future__ import annotations

from .editions import CODE_STUB, TEXT_STUB, nbgrader_source, student_edition
from .exercise_format import Exercise, FormatError, exercises, section_start, validate, validate_book
from .grading import Graded, Limits, Result, exercise_section, execute, execute_together, grade, results, tampered
from .notebooks import CHAPTERS, ROOT, SETUP_CELL, NotebookError, chapter_notebooks
from .output import OutputError
from .table import TABLE_END, TABLE_START, table, write_table

__all__ = [
    "ROOT", "CHAPTERS", "SETUP_CELL", "chapter_notebooks", "NotebookError", "OutputError", "FormatError",
    "Exercise", "exercises", "section_start", "validate", "validate_book", "CODE_STUB", "TEXT_STUB",
    "nbgrader_source", "student_edition", "Result", "Limits", "Graded", "exercise_section", "execute",
    "execute_together", "grade", "results",
    "tampered",
    "TABLE_START", "TABLE_END", "table", "write_table",
]
