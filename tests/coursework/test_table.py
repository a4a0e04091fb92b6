"""The instructors' page lists every exercise as the notebooks say."""

from __future__ import annotations


import coursework


def test_the_instructors_page_lists_every_exercise_as_the_notebooks_say():
    page = (coursework.CHAPTERS / "instructors.md").read_text("utf-8")
    assert coursework.TABLE_START in page and coursework.TABLE_END in page
    listed = page.split(coursework.TABLE_START, 1)[1].split(coursework.TABLE_END, 1)[0].strip()
    assert listed == coursework.table(), (
        "chapters/instructors.md's exercise table is out of date: run "
        "`python -m coursework table --write chapters/instructors.md`")
    for command in ("student-edition", "nbgrader-source", "grade", "validate", "generate_assignment", "autograde"):
        assert command in page, f"chapters/instructors.md does not explain `{command}`"


def test_the_time_table_has_a_row_for_every_chapter():
    """The time table is written by hand (issue 21: it had no chapter 10): one row per chapter notebook."""
    page = (coursework.CHAPTERS / "instructors.md").read_text("utf-8")
    times = page.split("## How long a chapter takes", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in times.splitlines() if line.startswith("| ") and line[2].isdigit()]
    numbers = [int(row[2:].split(".", 1)[0]) for row in rows]
    assert numbers == [int(path.name[:2]) for path in coursework.chapter_notebooks()], numbers
