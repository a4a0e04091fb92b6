"""The command line: ``python -m coursework validate|student-edition|exercise-edition|nbgrader-source|grade|table``."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from . import __doc__ as package_doc
from .editions import nbgrader_source, student_edition
from .exercise_edition import EXERCISES, stale_editions, write_exercise_editions
from .exercise_format import FormatError, exercises, validate_book
from .grading import Graded, Limits, grade
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
    grading.add_argument("--json", action="store_true")
    grading.add_argument("--cell-timeout", type=float, default=Limits.cell, metavar="SECONDS",
                         help=f"limit of one solution cell, or of one check (default {Limits.cell:g})")
    grading.add_argument("--timeout", type=float, default=Limits.submission, metavar="SECONDS",
                         help=f"limit of one whole submission (default {Limits.submission:g})")
    commands.add_parser("table").add_argument("--write", type=Path, metavar="PAGE")
    return parser


def _grade(args: argparse.Namespace) -> int:
    """Grade each submission on its own; a row for every one, graded or not."""
    if args.cell_timeout <= 0 or args.timeout <= 0:
        raise OutputError("--cell-timeout and --timeout must be positive, got "
                          f"{args.cell_timeout:g} and {args.timeout:g}")
    limits, report = Limits(cell=args.cell_timeout, submission=args.timeout), []
    for path in args.submissions:
        try:
            row = grade(path, args.source or args.chapters / path.name, limits=limits)
        except (NotebookError, FormatError, OSError) as error:
            row = Graded(str(path), error=f"{path}: not graded: {error}")
        report.append(row)
    if args.json:
        print(json.dumps([{"notebook": r.notebook, "graded": r.graded, "score": r.score, "max_score": r.max_score,
                           "error": r.error, "problems": r.problems, "exercises": [asdict(x) for x in r.results]}
                          for r in report], indent=2, ensure_ascii=False))
    else:
        for row in report:
            print(f"{row.notebook}: " + (f"{row.score:g} / {row.max_score:g} points" if row.graded else "NOT GRADED"))
            for line in ([row.error] if row.error else []) + row.problems:
                print(f"  ! {line}")
            for r in row.results:
                print(f"  {'✓' if r.score else '✗'} {r.label:<28} {r.score:g}/{r.points:g}  {r.message}")
    failed = [r.notebook for r in report if not r.graded]
    if failed:
        print(f"{len(failed)} of {len(report)} submissions not graded: {', '.join(failed)}", file=sys.stderr)
    return FOUND_PROBLEMS if failed else 0


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


def main(argv: list[str] | None = None) -> int:
    """Run one command; exit status 0, :data:`FOUND_PROBLEMS` or :data:`CANNOT` (one line on stderr)."""
    args = _parser().parse_args(argv)
    try:
        notebooks = getattr(args, "notebooks", None) or chapter_notebooks(args.chapters)
        if args.command == "validate":
            problems = validate_book(notebooks)
            print("\n".join(problems) or f"✓ {len(notebooks)} notebooks follow the format")
            return FOUND_PROBLEMS if problems else 0
        if args.command in ("student-edition", "nbgrader-source"):
            return _editions(args, notebooks)
        if args.command == "exercise-edition":
            return _exercise_editions(args, [p for p in notebooks if exercises(p)])
        if args.command == "grade":
            return _grade(args)
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
