"""The course's own chapters, graded as a class: every chapter's solutions score full marks.

Each chapter with exercises is submitted twice in one batch: the instructor notebook itself, and
its student edition with the instructor's solution cells put back (what a learner who solved
everything hands in). A check that cannot run in the learner's kernel (before this test,
ex-07-bahdanau-step handed the kernel an ``nn.GRUCell``, which it refused to load: every learner
scored 0) fails here, on the real chapters, not only on fixtures.
"""

from __future__ import annotations

import json

import nbformat
import pytest

import coursework
from coursework.__main__ import main
from under_test import CHAPTER_PATHS


def _solved_student_edition(chapter) -> nbformat.NotebookNode:
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nbformat.read(chapter, as_version=4).cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    nb = coursework.student_edition(chapter)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in solutions:
            cell.source = solutions[grade_id]
    return nb


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    chapters = [p for p in CHAPTER_PATHS if coursework.exercises(p)]
    assert len(chapters) == 11, [p.name for p in chapters]  # ten chapters and the page after chapter 07
    folder = tmp_path_factory.mktemp("solved")
    for chapter in chapters:
        nbformat.write(_solved_student_edition(chapter), folder / chapter.name)
    report = folder / "report.jsonl"
    status = main(["grade", *map(str, chapters), *(str(folder / c.name) for c in chapters),
                   "--report", str(report)])
    return status, [json.loads(line) for line in report.read_text("utf-8").splitlines()]


def test_every_chapter_scores_full_marks_as_the_instructor_wrote_it_and_as_a_learner_hands_it_in(rows):
    status, graded = rows
    assert len(graded) == 22
    short = [(row["notebook"], row["score"], row["max_score"], [e["message"] for e in row["exercises"] if not e["score"]])
             for row in graded if not (row["graded"] and row["score"] == row["max_score"] > 0)]
    assert not short, short
    assert not [row["problems"] for row in graded if row["problems"]]
    assert status == 0
