"""The command line: ``python -m coursework validate|student-edition|exercise-edition|nbgrader-source|grade|table``."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

import nbformat

from . import __doc__ as package_doc
from .editions import nbgrader_source, student_edition
from .exercise_edition import EXERCISES, stale_editions, write_exercise_editions
from .exercise_format import exercises, validate_book
from .grading import grade
from .notebooks import CHAPTERS, ROOT, chapter_notebooks
from .table import table, write_table


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
    exercise_edition = commands.add_parser(
        "exercise-edition", help="write exercises/, the editions the site's Colab buttons open")
    exercise_edition.add_argument("--out", type=Path, default=EXERCISES)
    exercise_edition.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is stale")
    grading = commands.add_parser("grade", help="run learners' notebooks and report their points")
    grading.add_argument("submissions", nargs="+", type=Path)
    grading.add_argument("--source", type=Path, help="the instructor notebook (default: <chapters>/<name>)")
    grading.add_argument("--json", action="store_true")
    commands.add_parser("table").add_argument("--write", type=Path, metavar="PAGE")
    return parser


def _grade(args: argparse.Namespace) -> int:
    report = []
    for path in args.submissions:
        found = grade(path, args.source or args.chapters / path.name)
        report.append({"notebook": str(path), "score": sum(r.score for r in found),
                       "max_score": sum(r.points for r in found), "exercises": [asdict(r) for r in found]})
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    for entry in report:
        print(f"{entry['notebook']}: {entry['score']:g} / {entry['max_score']:g} points")
        for r in entry["exercises"]:
            print(f"  {'✓' if r['score'] else '✗'} {r['label']:<28} {r['score']:g}/{r['points']:g}  {r['message']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run one command; the exit status is 1 when ``validate`` finds a problem."""
    args = _parser().parse_args(argv)
    notebooks = getattr(args, "notebooks", None) or chapter_notebooks(args.chapters)
    if args.command == "validate":
        problems = validate_book(notebooks)
        print("\n".join(problems) or f"✓ {len(notebooks)} notebooks follow the format")
        return 1 if problems else 0
    if args.command in ("student-edition", "nbgrader-source"):
        args.out.mkdir(parents=True, exist_ok=True)
        edition = nbgrader_source if args.command == "nbgrader-source" else student_edition
        for path in args.notebooks or [p for p in notebooks if exercises(p)]:
            nbformat.write(edition(path), args.out / path.name)
            print(f"wrote {args.out / path.name}")
        return 0
    if args.command == "exercise-edition":
        chapters = [p for p in notebooks if exercises(p)]
        if args.check:
            problems = stale_editions(chapters, args.out)
            print("\n".join(problems) or f"✓ {len(chapters)} exercise editions are current")
            return 1 if problems else 0
        for path in write_exercise_editions(chapters, args.out):
            print(f"wrote {path}")
        return 0
    if args.command == "grade":
        return _grade(args)
    if args.write:
        write_table(args.write, notebooks)
    else:
        print(table(notebooks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
