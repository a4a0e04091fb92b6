"""The exercise edition (exercises/), what a chapter page's Colab button opens: current with
chapters/, the student edition with one note, and the instructor's code once the solutions are back.

That it runs to the end with only "not implemented yet" from its checks is proven in
test_editions.py, whose student run executes these committed files.
"""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

import coursework
from coursework.exercise_edition import (EXERCISES, exercise_edition, exercise_note, stale_editions,
                                         write_exercise_editions)
from coursework.output import OutputError
from under_test import CHAPTER_PATHS

CHAPTERS = [p for p in CHAPTER_PATHS if coursework.exercises(p)]


def test_every_chapter_has_a_current_exercise_edition():
    assert CHAPTERS, "no chapter with exercises"
    problems = stale_editions(CHAPTERS)
    assert not problems, ("the exercise editions are stale; run `python -m coursework exercise-edition` "
                          "and commit exercises/:\n" + "\n".join(problems))


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_exercise_edition_is_the_student_edition_with_a_note(path):
    committed = nbformat.read(EXERCISES / path.name, as_version=4)
    student = coursework.student_edition(path)
    assert len(committed.cells) == len(student.cells)
    changed = [i for i, (a, b) in enumerate(zip(committed.cells, student.cells)) if a.source != b.source]
    title = next(i for i, cell in enumerate(student.cells) if cell.cell_type == "markdown")
    assert changed == [title]
    assert committed.cells[title].source == student.cells[title].source + "\n\n" + exercise_note(path.stem)
    assert f"/blob/main/chapters/{path.name})" in exercise_note(path.stem)  # the full notebook's link
    assert "BEGIN SOLUTION" not in nbformat.writes(committed)


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_putting_the_solutions_back_gives_the_instructors_code(path):
    """So the instructor run of test_editions.py, which passes every check, covers this too."""
    committed = nbformat.read(EXERCISES / path.name, as_version=4)
    source = coursework.nbgrader_source(path)
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    restored = [solutions.get(c.metadata.get("nbgrader", {}).get("grade_id"), c.source)
                for c in committed.cells if c.cell_type == "code"]
    assert restored == [c.source for c in source.cells if c.cell_type == "code"]
    assert solutions, f"{path.name} has no solution cell"


def test_check_reports_a_stale_or_stray_file_and_writes_nothing(tmp_path):
    out = tmp_path / "exercises"
    out.mkdir()
    chapter = CHAPTERS[0]
    nbformat.write(exercise_edition(chapter), out / chapter.name)
    (out / "99_gone.ipynb").write_text("{}")
    assert stale_editions([chapter], out) == [f"{out / '99_gone.ipynb'} has no chapter: remove it"]
    edited = nbformat.read(out / chapter.name, as_version=4)
    edited.cells[-1].source += "\n# edited"
    nbformat.write(edited, out / chapter.name)
    before = (out / chapter.name).read_bytes()
    run = subprocess.run([sys.executable, "-m", "coursework", "exercise-edition", "--check", "--out", str(out)],
                         cwd=coursework.ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1 and f"{out / chapter.name} is stale" in run.stdout
    assert (out / chapter.name).read_bytes() == before


def test_it_never_writes_over_a_source_or_a_foreign_file(tmp_path):
    chapter = CHAPTERS[0]
    run = subprocess.run([sys.executable, "-m", "coursework", "exercise-edition", "--out", str(chapter.parent)],
                         cwd=coursework.ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and "refusing to write its edition" in run.stderr and "Traceback" not in run.stderr
    out = tmp_path / "exercises"
    out.mkdir()
    (out / chapter.name).write_text("a learner's own notebook")
    with pytest.raises(OutputError, match="is not an exercise edition"):
        write_exercise_editions([chapter], out)
    assert (out / chapter.name).read_text() == "a learner's own notebook"
    write_exercise_editions([chapter], out, force=True)
    assert stale_editions([chapter], out) == []
    write_exercise_editions([chapter], out)  # its own output: replaced without --force
    assert stale_editions([chapter], out) == []


def test_a_notebook_object_needs_its_name():
    with pytest.raises(ValueError, match="needs the chapter's name"):
        exercise_edition(nbformat.read(CHAPTERS[0], as_version=4))
