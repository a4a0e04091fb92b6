"""Running exercises and grading them: the exercise section, nbclient, points, the exercises table.

The format and the editions are in :mod:`lib.coursework`, whose command line
(``python -m lib.coursework grade ...`` and ``... table``) calls this module.

Why the exercise section runs alone. Exercises close a chapter, and the cells before the first
exercise are the same code in the instructor notebook and in the student edition (the student
edition only changes solution, check and exercise cells, and those all sit in the section), so
running them once per notebook is enough, and the full run of the instructor notebooks by the
test command (nbval) does that. The section is the part whose behaviour differs between
editions; it runs after the setup cell and the earlier cells' ``import`` statements, which is
cheap even in chapters that train a model before their exercises. :func:`lib.coursework.validate`
checks statically that the section needs nothing else, and running it proves it.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from . import coursework
from .coursework import (CHAPTERS, ROOT, TABLE_END, TABLE_START, Exercise, _grader, _imports, _read,
                         chapter_notebooks, exercises, nbgrader_source, section_start, student_edition,
                         validate_book)


def exercise_section(nb: NotebookNode) -> NotebookNode:
    """The setup cell, one cell with the earlier cells' imports, then the exercise section."""
    start = section_start(nb)
    earlier = [c for c in nb.cells[:start] if c.cell_type == "code"]
    section = copy.deepcopy(nb)
    imports = "\n".join(filter(None, (_imports(c.source) for c in earlier[1:])))
    section.cells = copy.deepcopy(earlier[:1]) + [nbformat.v4.new_code_cell(imports)] + section.cells[start:]
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
    cells = {_grader(c).get("grade_id"): c for c in executed.cells if "nbgrader" in c.metadata}
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
    answers = {_grader(c).get("grade_id"): c.source for c in _read(submission).cells if _grader(c).get("solution")}
    graded = student_edition(source)
    for cell in graded.cells:
        if _grader(cell).get("solution") and _grader(cell).get("grade_id") in answers:
            cell.source = answers[_grader(cell)["grade_id"]]
    return results(execute(exercise_section(graded), cwd=source.parent), exercises(source))


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
    """Replace the table between TABLE_START and TABLE_END in ``page``."""
    head, rest = page.read_text("utf-8").split(TABLE_START, 1)
    page.write_text(f"{head}{TABLE_START}\n{table(notebooks)}\n{TABLE_END}{rest.split(TABLE_END, 1)[1]}", "utf-8")


def _with_exercises(paths: list[Path]) -> list[Path]:
    return paths or [p for p in chapter_notebooks() if exercises(p)]


def main(argv: list[str] | None = None) -> int:
    """The command line; see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m lib.coursework", description=coursework.__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("validate").add_argument("notebooks", nargs="*", type=Path)
    for name, out in (("student-edition", ROOT / "student"), ("nbgrader-source", None)):
        command = commands.add_parser(name)
        command.add_argument("notebooks", nargs="*", type=Path)
        command.add_argument("--out", type=Path, default=out, required=out is None)
    commands.choices["student-edition"].add_argument("--without-nbgrader", action="store_true")
    grading = commands.add_parser("grade", help="run learners' notebooks and report their points")
    grading.add_argument("submissions", nargs="+", type=Path)
    grading.add_argument("--source", type=Path, help="the instructor notebook (default: chapters/<name>)")
    grading.add_argument("--json", action="store_true")
    commands.add_parser("table").add_argument("--write", type=Path, metavar="PAGE")
    args = parser.parse_args(argv)
    if args.command == "validate":
        problems = validate_book(args.notebooks or None)
        print("\n".join(problems) or f"✓ {len(args.notebooks or chapter_notebooks())} notebooks follow the format")
        return 1 if problems else 0
    if args.command in ("student-edition", "nbgrader-source"):
        args.out.mkdir(parents=True, exist_ok=True)
        for path in _with_exercises(args.notebooks):
            nb = nbgrader_source(path) if args.command == "nbgrader-source" else \
                student_edition(path, use_nbgrader=False if args.without_nbgrader else None)
            nbformat.write(nb, args.out / path.name)
            print(f"wrote {args.out / path.name}")
        return 0
    if args.command == "grade":
        report = [{"notebook": str(p), "score": sum(r.score for r in rs), "max_score": sum(r.points for r in rs),
                   "exercises": [asdict(r) for r in rs]} for p in args.submissions for rs in [grade(p, args.source)]]
        if args.json:
            print(json.dumps(report, indent=2, ensure_ascii=False))
        for entry in [] if args.json else report:
            print(f"{entry['notebook']}: {entry['score']:g} / {entry['max_score']:g} points")
            for r in entry["exercises"]:
                print(f"  {'✓' if r['score'] else '✗'} {r['label']:<28} {r['score']:g}/{r['points']:g}  {r['message']}")
        return 0
    if args.write:
        write_table(args.write)
    else:
        print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
