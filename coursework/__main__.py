"""The command line: ``python -m coursework validate|student-edition|exercise-edition|nbgrader-source|grade|table``."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from . import __doc__ as package_doc
from .editions import nbgrader_source, student_edition
from .exercise_edition import EXERCISES, stale_editions, write_exercise_editions
from .exercise_format import FormatError, exercises, validate_book
from .grading import Graded, Limits, Source, grade
from .isolation import isolation
from .notebooks import CHAPTERS, ROOT, NotebookError, chapter_notebooks
from .output import OutputError, targets, write_notebook
from .table import table, write_table

#: Exit statuses: 1, the command found problems (validate) or a submission was not graded
#: (grade); 2, the command could not do what it was asked (a bad path, an unreadable notebook).
FOUND_PROBLEMS, CANNOT = 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m coursework", description=package_doc.split("\n")[0])
    parser.add_argument("--chapters", type=Path, default=CHAPTERS,
                        help="the folder of chapter notebooks NN_*.ipynb (default: the repository's chapters/)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("validate").add_argument("notebooks", nargs="*", type=Path)
    for name, out in (("student-edition", ROOT / "student"), ("nbgrader-source", None)):
        command = commands.add_parser(name)
        command.add_argument("notebooks", nargs="*", type=Path)
        command.add_argument("--out", type=Path, default=out, required=out is None)
        command.add_argument("--force", action="store_true", help="replace editions already in --out")
    exercise_edition = commands.add_parser(
        "exercise-edition", help="write exercises/, the editions the site's Colab buttons open")
    exercise_edition.add_argument("--out", type=Path, default=EXERCISES)
    exercise_edition.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is stale")
    exercise_edition.add_argument("--force", action="store_true", help="replace files that are not exercise editions")
    grading = commands.add_parser("grade", help="run learners' notebooks and report their points")
    grading.add_argument("submissions", nargs="+", type=Path)
    grading.add_argument("--source", type=Path, help="the instructor notebook (default: <chapters>/<name>)")
    grading.add_argument("--json", action="store_true", help="print the report as one JSON list at the end")
    grading.add_argument("--report", type=Path, metavar="FILE.jsonl",
                         help="write each row to FILE as soon as it is graded, one JSON object a line "
                              "(a new file; --force replaces one)")
    grading.add_argument("--force", action="store_true", help="replace an existing --report file")
    grading.add_argument("--cell-timeout", type=float, default=Limits.cell, metavar="SECONDS",
                         help=f"limit of one solution cell, or of one check (default {Limits.cell:g})")
    grading.add_argument("--timeout", type=float, default=Limits.submission, metavar="SECONDS",
                         help=f"limit of one whole submission (default {Limits.submission:g})")
    commands.add_parser("table").add_argument("--write", type=Path, metavar="PAGE")
    return parser


def _limit(name: str, value: float) -> float:
    if not math.isfinite(value) or value <= 0:
        raise OutputError(f"{name} must be a positive number of seconds, got {value:g}")
    return value


def _grade(args: argparse.Namespace) -> int:
    """Grade each submission on its own; a row for every one, graded or not, written as soon as
    it is graded. Every instructor notebook is read before any learner code runs."""
    limits = Limits(cell=_limit("--cell-timeout", args.cell_timeout), submission=_limit("--timeout", args.timeout))
    if args.report and args.report.exists() and not args.force:
        raise OutputError(f"{args.report} exists: name a new report file, or pass --force to replace it")
    sources: dict[Path, Source | Exception] = {}
    for path in args.submissions:
        where = Path(args.source or args.chapters / path.name)
        if where not in sources:
            try:
                sources[where] = Source.read(where)
            except (NotebookError, FormatError, OSError) as error:
                sources[where] = error
    if args.source and isinstance(sources[Path(args.source)], Exception):
        raise sources[Path(args.source)]
    if warning := isolation():
        print(f"warning: {warning}", file=sys.stderr)
    hidden = [*args.submissions, *([args.report] if args.report else [])]
    report, rows = [], (args.report.open("w", encoding="utf-8") if args.report else None)
    try:
        for path in args.submissions:
            source = sources[Path(args.source or args.chapters / path.name)]
            if isinstance(source, Exception):
                row = Graded(str(path), error=f"{path}: not graded: {source}")
            else:
                row = grade(path, source, limits=limits, hidden=[p for p in hidden if p != path])
            report.append(row)
            if rows:
                rows.write(json.dumps(row.as_dict(), ensure_ascii=False) + "\n")
                rows.flush()
                os.fsync(rows.fileno())
            if not args.json:
                _print_row(row)
    finally:
        if rows:
            rows.close()
    if args.json:
        print(json.dumps([r.as_dict() for r in report], indent=2, ensure_ascii=False))
    failed = [r.notebook for r in report if not r.graded]
    if failed:
        print(f"{len(failed)} of {len(report)} submissions not graded: {', '.join(failed)}", file=sys.stderr)
    return FOUND_PROBLEMS if failed else 0


def _print_row(row: Graded) -> None:
    shown = row.as_dict()
    print(f"{row.notebook}: " + (f"{row.score:g} / {row.max_score:g} points" if row.graded else "NOT GRADED"))
    for line in ([shown["error"]] if row.error else []) + shown["problems"]:
        print(f"  ! {line}")
    for r in shown["exercises"]:
        print(f"  {'✓' if r['score'] else '✗'} {r['label']:<28} {r['score']:g}/{r['points']:g}  {r['message']}")
    sys.stdout.flush()


def _editions(args: argparse.Namespace, notebooks: list[Path]) -> int:
    """Every edition built first, then each written where nothing is lost (:mod:`.output`)."""
    edition = nbgrader_source if args.command == "nbgrader-source" else student_edition
    sources = args.notebooks or [p for p in notebooks if exercises(p)]
    plan = targets(sources, args.out, force=args.force)
    built = [(edition(source), target) for source, target in plan]
    for nb, target in built:
        write_notebook(nb, target)
        print(f"wrote {target}")
    return 0


def _exercise_editions(args: argparse.Namespace, chapters: list[Path]) -> int:
    """Write exercises/ (a folder this command owns), or with --check only report what is stale."""
    if args.check:
        problems = stale_editions(chapters, args.out)
        print("\n".join(problems) or f"✓ {len(chapters)} exercise editions are current")
        return FOUND_PROBLEMS if problems else 0
    for path in write_exercise_editions(chapters, args.out, force=args.force):
        print(f"wrote {path}")
    return 0


def _chapters(folder: Path) -> list[Path]:
    """The chapter notebooks of ``folder``; an error if there are none."""
    if not folder.is_dir():
        raise NotebookError(folder, "is not a folder: name the chapters' folder with --chapters")
    found = chapter_notebooks(folder)
    if not found:
        raise NotebookError(folder, "holds no chapter notebooks (NN_name.ipynb): name the chapters' folder "
                            "with --chapters")
    return found


def main(argv: list[str] | None = None) -> int:
    """Run one command; exit status 0, :data:`FOUND_PROBLEMS` or :data:`CANNOT` (one line on stderr)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "grade":
            return _grade(args)
        notebooks = getattr(args, "notebooks", None) or _chapters(args.chapters)
        if args.command == "validate":
            problems = validate_book(notebooks)
            print("\n".join(problems) or f"✓ {len(notebooks)} notebooks follow the format")
            return FOUND_PROBLEMS if problems else 0
        if args.command in ("student-edition", "nbgrader-source"):
            return _editions(args, notebooks)
        if args.command == "exercise-edition":
            return _exercise_editions(args, [p for p in notebooks if exercises(p)])
        if args.write:
            try:
                write_table(args.write, notebooks)
            except ValueError as error:
                raise OutputError(str(error)) from None
        else:
            print(table(notebooks))
        return 0
    except (NotebookError, FormatError, OutputError) as error:
        print(f"error: {error}", file=sys.stderr)
        return CANNOT
    except OSError as error:
        print(f"error: {error.filename or ''}: {error.strerror or error}", file=sys.stderr)
        return CANNOT


if __name__ == "__main__":
    sys.exit(main())
