"""The instructors' table: every exercise of the book, its check, what it checks, its points."""

from __future__ import annotations

import re
from pathlib import Path

from .exercise_format import exercises
from .notebooks import chapter_notebooks

__all__ = ["TABLE_START", "TABLE_END", "table", "write_table"]

TABLE_START = "<!-- exercises table: `python -m coursework table --write chapters/instructors.md` -->"
TABLE_END = "<!-- end of exercises table -->"


def table(notebooks: list[Path] | None = None) -> str:
    """The Markdown table of every exercise: chapter, exercise, kind, check, what it checks, points."""
    from lib import checks
    rows = ["| Chapter | Exercise | Kind | Check | What it checks | Points |", "|---|---|---|---|---|---|"]
    for path in chapter_notebooks() if notebooks is None else notebooks:
        for e in exercises(path):
            doc = (getattr(checks, e.check, None).__doc__ or "") if e.check and hasattr(checks, e.check) else ""
            what = re.sub(r"^Chapter \d+:\s*", "", " ".join(doc.strip().split("\n\n")[0].split())).rstrip(".") if e.check else \
                "written answer, discussed or marked by hand"
            rows.append(f"| {path.stem} | `{e.label}` {e.title} | {e.kind} | "
                        f"{f'`{e.check}`' if e.check else '—'} | {what.replace('|', '/')} | {e.points:g} |")
    return "\n".join(rows)


def write_table(page: Path, notebooks: list[Path] | None = None) -> None:
    """Replace the table between TABLE_START and TABLE_END in ``page``.

    Raises:
        ValueError: ``page`` lacks either marker (nothing is written).
    """
    text = page.read_text("utf-8")
    if TABLE_START not in text or TABLE_END not in text.split(TABLE_START, 1)[-1]:
        raise ValueError(f"{page} has no exercises table to replace: it needs the line {TABLE_START} "
                         f"and, after it, {TABLE_END}")
    head, rest = text.split(TABLE_START, 1)
    page.write_text(f"{head}{TABLE_START}\n{table(notebooks)}\n{TABLE_END}{rest.split(TABLE_END, 1)[1]}", "utf-8")
