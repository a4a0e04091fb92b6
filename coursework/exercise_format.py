"""The exercise format (CONTRIBUTING.md's "The exercise format"): parse it, validate it.

The exercise section. Exercises close a chapter; the *exercise section* is every cell from the
first exercise on. It runs on its own (:func:`coursework.grading.exercise_section`): the setup
cell, the ``import`` statements of the earlier cells, then the section; :func:`validate` checks
that it needs nothing else and that no cell after an exercise uses the learner's function.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass
from pathlib import Path

from nbformat import NotebookNode

from .notebooks import (SETUP_CELL, NotebookError, bound_and_read, chapter_notebooks, check_called, definitions,
                        directive, grader, imports, read)

__all__ = ["FormatError", "Exercise", "exercises", "section_start", "validate", "validate_book"]

_IPYTHON_NAMES = {"display", "get_ipython", "In", "Out", "exit", "quit", "_", "__", "___"}
_SOLUTION = {"grade": False, "solution": True, "locked": False, "schema_version": 3, "task": False}
_CHECK = {"grade": True, "solution": False, "locked": True, "schema_version": 3, "task": False}


class FormatError(ValueError):
    """A notebook does not follow the exercise format."""


@dataclass(frozen=True)
class Exercise:
    """One exercise of a notebook: checked code, or a written answer (no grade_id, 0 points)."""

    label: str  # "ex-03-scores", the sphinx-exercise label
    title: str
    kind: str  # "code" or "written"
    grade_id: str | None = None  # the check cell's nbgrader grade_id
    points: float = 0.0
    check: str | None = None  # the lib.checks function the check cell calls
    learner: tuple[str, ...] = ()  # the names the solution cell defines (the learner's function)
    cell: int = 0  # index of the statement cell
    end: int = 0  # index of the exercise's last cell (its check cell, or its answer's last cell)
    solution_cell: int | None = None
    check_cell: int | None = None


# --- Exercises and the format ----------


def parse(nb: NotebookNode) -> tuple[list[Exercise], list[str]]:
    """The exercises of an instructor notebook, and what breaks their format."""
    cells, found, problems = nb.cells, [], []
    i = 0
    while i < len(cells):
        match = directive(cells[i], "exercise")
        if not match:
            i += 1
            continue
        label = (re.search(r"^:label:\s*(\S+)", match["body"], re.MULTILINE) or ["", ""])[1]
        title = match["arg"].strip()
        if not label:
            problems.append(f"cell {i + 1}: the exercise directive has no `:label:` option")
        gate = directive(cells[i + 1], "solution", "solution-start") if i + 1 < len(cells) else None
        if gate and gate["name"] == "solution":  # a written exercise, its answer in one cell
            if gate["arg"].strip() != label:
                problems.append(f"cell {i + 2}: the solution is for {gate['arg'].strip()!r}, not {label!r}")
            found.append(Exercise(label, title, "written", cell=i, end=i + 1))
            i += 2
            continue
        if not gate:
            problems.append(f"cell {i + 1}: exercise {label!r} must be followed by a `solution-start` "
                            "(code) or `solution` (written) directive cell")
            i += 1
            continue
        if gate["arg"].strip() != label or ":class: dropdown" not in gate["body"]:
            problems.append(f"cell {i + 2}: must be ```{{solution-start}} {label}``` with `:class: dropdown`")
        if "{solution-end}" in cells[i + 1].source[gate.end():]:  # a written answer in the gate's cell
            found.append(Exercise(label, title, "written", cell=i, end=i + 1))
            i += 2
            continue
        end = next((k for k in range(i + 2, len(cells))
                    if directive(cells[k], "solution-end", "exercise")), len(cells))
        if end == len(cells) or not directive(cells[end], "solution-end"):
            problems.append(f"cell {i + 2}: the solution of {label!r} has no `solution-end` cell")
            i += 2
            continue
        if not any(grader(cells[k]).get("solution") for k in range(i + 2, end)):  # written, gated
            found.append(Exercise(label, title, "written", cell=i, end=end))
            i = end + 1
            continue
        solution, check = i + 2, end + 1
        problems += _check_cell(cells, solution, label, "solution", end - i - 2)
        problems += _check_cell(cells, check, label, "check")
        has_check = check < len(cells) and cells[check].cell_type == "code"
        meta = grader(cells[check]) if has_check else {}
        points = meta.get("points", 0)
        found.append(Exercise(
            label, title, "code", grade_id=meta.get("grade_id"),
            points=float(points) if isinstance(points, (int, float)) else 0.0,
            check=_parsed(cells, check, check_called, problems) if has_check else None,
            learner=(_parsed(cells, solution, definitions, problems) or ())
            if cells[solution].cell_type == "code" else (),
            cell=i, end=check, solution_cell=solution, check_cell=check))
        i = check + 1
    return found, problems


def _parsed(cells: list, index: int, reading, problems: list[str]):
    """``reading(source)`` of a code cell, or None with a problem naming the cell that does not parse."""
    try:
        return reading(cells[index].source)
    except SyntaxError as error:
        problems.append(f"cell {index + 1}: does not parse as Python: {error.msg} (its line {error.lineno})")
        return None


def _check_cell(cells: list, index: int, label: str, role: str, count: int = 1) -> list[str]:
    """What is wrong with the solution or check cell of a code exercise."""
    where, problems = f"cell {index + 1}", []
    if count != 1:
        problems.append(f"{where}: solution-start ... solution-end of {label!r} must hold exactly "
                        f"one code cell, not {count} cells")
    if index >= len(cells) or cells[index].cell_type != "code":
        return problems + [f"{where}: the {role} cell of {label!r} must be a code cell"]
    meta, source = grader(cells[index]), cells[index].source
    expected = {**(_SOLUTION if role == "solution" else _CHECK), "grade_id": f"{label}-{role}"}
    if wrong := {k: meta.get(k) for k, v in expected.items() if meta.get(k) != v}:
        problems.append(f"{where}: the {role} cell of {label!r} needs nbgrader metadata {expected}; "
                        f"these differ: {wrong}")
    if role == "check":
        points = meta.get("points")
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
            problems.append(f"{where}: the check cell of {label!r} needs `points` > 0, not {points!r}")
        if not _parsed(cells, index, check_called, []):
            problems.append(f"{where}: the check cell of {label!r} must call a check of lib.checks, "
                            "e.g. `checks.check_dot_product_scores(dot_product_scores)`")
        return problems
    begins = [line for line in source.splitlines() if "BEGIN SOLUTION" in line]
    if not begins or len(begins) != source.count("END SOLUTION"):
        problems.append(f"{where}: the solution cell of {label!r} needs `### BEGIN SOLUTION` and "
                        "`### END SOLUTION` around the learner's part")
    elif any(not line.startswith((" ", "\t")) for line in begins):
        problems.append(f"{where}: put `### BEGIN SOLUTION` inside the function body (indented), so "
                        "that the student edition's cell still runs and defines the function")
    return problems


def exercises(notebook: Path | str | NotebookNode) -> list[Exercise]:
    """The exercises of an instructor notebook, in order (lenient: :func:`validate` judges)."""
    return parse(read(notebook))[0]


def section_start(nb: NotebookNode) -> int:
    """Index of the first exercise cell, in an instructor notebook or a student edition."""
    for index, cell in enumerate(nb.cells):
        if directive(cell, "exercise") or "exercise" in cell.metadata.get("coursework", {}):
            return index
    return next((i for i, c in enumerate(nb.cells) if "nbgrader" in c.metadata), len(nb.cells))


def validate(notebook: Path | str | NotebookNode, *, name: str = "") -> list[str]:
    """What breaks the exercise format in one notebook, one sentence each (empty: nothing)."""
    name = name or (Path(notebook).name if not isinstance(notebook, NotebookNode) else "notebook")
    try:
        nb = read(notebook)
    except NotebookError as error:
        return [f"{name}: {error.problem}" if error.cell is None else f"{name}: cell {error.cell + 1}: {error.problem}"]
    found, problems = parse(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not code or code[0].source.strip() != SETUP_CELL.read_text("utf-8").strip():
        where = f"cell {nb.cells.index(code[0]) + 1}: " if code else ""
        problems.append(f"{where}the first code cell must be chapters/_setup_cell.py, character for character")
    if len(found) < 2 or not any(e.kind == "code" for e in found):
        problems.append(f"a chapter needs at least two exercises, one of them checked code; found "
                        f"{len(found)} ({sum(e.kind == 'code' for e in found)} code)")
    if number := re.match(r"(\d\d)_", name):
        problems += [f"cell {e.cell + 1}: exercise {e.label!r}: the labels of this chapter start with 'ex-{number[1]}-'"
                     for e in found if not e.label.startswith(f"ex-{number[1]}-")]
    owned = {i for e in found for i in (e.solution_cell, e.check_cell) if i is not None}
    for index, cell in enumerate(nb.cells):
        if "nbgrader" in cell.metadata and index not in owned:
            problems.append(f"cell {index + 1}: nbgrader metadata outside an exercise's solution or check cell")
        if index not in owned and "SOLUTION" in cell.source and re.search(r"(BEGIN|END) SOLUTION", cell.source):
            problems.append(f"cell {index + 1}: a solution marker outside a solution cell")
        if re.search(r"BEGIN HIDDEN TESTS|BEGIN MARK SCHEME|AUTOTEST", cell.source):
            problems.append(f"cell {index + 1}: hidden tests, mark schemes and AUTOTEST are not used")
    ids = [grader(c).get("grade_id") for c in nb.cells if "nbgrader" in c.metadata]
    for twice in sorted({g for g in ids if ids.count(g) > 1}, key=str):
        where = ", ".join(str(i + 1) for i, c in enumerate(nb.cells) if grader(c).get("grade_id") == twice)
        problems.append(f"cells {where}: grade_id {twice!r} is used twice")
    problems += [p for p in _section_problems(nb, found) if p not in problems]
    return [f"{name}: {p}" for p in problems]


def _section_problems(nb: NotebookNode, found: list[Exercise]) -> list[str]:
    start, problems = section_start(nb), []
    imported = set(dir(builtins)) | _IPYTHON_NAMES
    names = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            if index < start:
                imported |= bound_and_read(imports(cell.source))[0]
            else:
                names[index] = bound_and_read(cell.source)
        except SyntaxError as error:
            problems.append(f"cell {index + 1}: does not parse as Python: {error.msg} (its line {error.lineno})")
    bound = imported.union(*(b for b, _ in names.values()))
    for index, (_, used) in names.items():
        if missing := sorted(used - bound):
            problems.append(f"cell {index + 1} uses {missing}, which the exercise section neither "
                            "defines nor imports: it runs on its own, after the earlier imports only")
    for exercise in (e for e in found if e.kind == "code" and e.check_cell in names):
        learner = set(exercise.learner)
        for index, (cell_bound, used) in names.items():
            if index > exercise.check_cell and (learned := (used - cell_bound) & learner):
                problems.append(f"cell {index + 1} uses {sorted(learned)} of {exercise.label!r}: in the "
                                "student edition it raises NotImplementedError")
        if not names[exercise.check_cell][1] & learner:
            problems.append(f"cell {exercise.check_cell + 1}: the check of {exercise.label!r} must be "
                            f"given what the solution cell defines, {sorted(learner)}")
    return problems


def validate_book(notebooks: list[Path] | None = None) -> list[str]:
    """:func:`validate` on each notebook (default: every chapter), grade_ids unique book-wide."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in chapter_notebooks() if notebooks is None else notebooks:
        problems += validate(path)
        try:
            cells = read(path).cells
        except NotebookError:
            continue  # validate said why
        for index, cell in enumerate(cells):
            if (key := grader(cell).get("grade_id")) and seen.setdefault(key, path.name) != path.name:
                problems.append(f"{path.name}: cell {index + 1}: grade_id {key!r} is already used in {seen[key]}")
    return problems
