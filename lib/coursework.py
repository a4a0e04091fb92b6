"""Coursework: the exercises of the chapter notebooks, their format, the student edition, grading.

The format is CONTRIBUTING.md's ("The exercise format"). From the repository root::

    python -m lib.coursework validate [NOTEBOOK ...]                  # the format, book-wide
    python -m lib.coursework student-edition [NOTEBOOK ...] [--out student/]
    python -m lib.coursework nbgrader-source [NOTEBOOK ...] --out COURSE/source/ASSIGNMENT
    python -m lib.coursework grade SUBMISSION.ipynb ... [--source NOTEBOOK] [--json]
    python -m lib.coursework table [--write chapters/instructors.md]

Without NOTEBOOK arguments they take every chapter notebook with exercises (``chapters/NN_*.ipynb``).

Editions. :func:`nbgrader_source` readies an instructor notebook for learners without touching
the code solutions: each ``{exercise}`` directive becomes plain Markdown (Jupyter and Colab show
MyST directives as raw code blocks), the ``solution-start`` / ``solution-end`` gates around a
code solution go (the cell between them becomes the learner's workspace, not a solution to
reveal), and a written answer (a ``{solution}`` cell, or the cells between the gates of an
exercise without a solution cell) becomes one ``YOUR ANSWER HERE`` cell, nbgrader's text stub.
:func:`student_edition` then does what ``nbgrader generate_assignment`` does to it: lock cells,
replace each solution region by ``# YOUR CODE HERE`` / ``raise NotImplementedError()``, clear
outputs, add checksums. It uses nbgrader's own preprocessors when nbgrader is installed
(``requirements-instructor.txt``) and :func:`clear_solutions` otherwise; the tests prove both
give the same notebook, and that ``nbgrader generate_assignment`` on the nbgrader source gives it too.

The exercise section. Exercises close a chapter; the *exercise section* is every cell from the
first exercise on. It runs on its own (:func:`lib.grading.exercise_section`): the setup cell,
the ``import`` statements of the earlier cells, then the section; :func:`validate` checks that
it needs nothing else and that no cell after an exercise uses the learner's function.
Running notebooks, grading, the exercises table and this command line are in :mod:`lib.grading`.
"""

from __future__ import annotations

import ast
import builtins
import copy
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
SETUP_CELL = CHAPTERS / "_setup_cell.py"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"  # nbgrader's ClearSolutions.code_stub
TEXT_STUB = "YOUR ANSWER HERE"  # nbgrader's ClearSolutions.text_stub
NOT_IMPLEMENTED = "is not implemented yet"  # = lib.checks.NOT_IMPLEMENTED (no torch import here)
TABLE_START = "<!-- exercises table: `python -m lib.coursework table --write chapters/instructors.md` -->"
TABLE_END = "<!-- end of exercises table -->"
_DIRECTIVE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{(?P<name>exercise|solution|solution-start|solution-end)\}[ \t]*"
    r"(?P<arg>.*)\n(?P<body>(?:.*\n)*?)(?P=fence)[ \t]*$", re.MULTILINE)
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


def chapter_notebooks() -> list[Path]:
    """Every chapter notebook, ``chapters/NN_*.ipynb``, in reading order."""
    return sorted(CHAPTERS.glob("[0-9][0-9]_*.ipynb"))


def _read(notebook: Path | str | NotebookNode) -> NotebookNode:
    return notebook if isinstance(notebook, NotebookNode) else nbformat.read(notebook, as_version=4)


def _directive(cell: NotebookNode, *names: str) -> re.Match[str] | None:
    match = _DIRECTIVE.search(cell.source + "\n") if cell.cell_type == "markdown" else None
    return match if match and (not names or match["name"] in names) else None


def _grader(cell: NotebookNode) -> dict:
    return dict(cell.metadata.get("nbgrader", {}))


# --- Reading code: names, imports, the check called ----------


def _tree(source: str) -> ast.Module:
    """The AST of a code cell; IPython magics and shell lines read as ``pass``."""
    return ast.parse("\n".join("pass" if line.lstrip().startswith(("%", "!")) else line
                               for line in source.splitlines()))


def _names(source: str) -> tuple[set[str], set[str]]:
    """(the names a cell binds anywhere, the names it reads)."""
    bound: set[str] = set()
    read: set[str] = set()
    for node in ast.walk(_tree(source)):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            bound.add(node.name)
    return bound, read


def _imports(source: str) -> str:
    """The top-level ``import`` statements of a cell."""
    return "\n".join(ast.unparse(node) for node in _tree(source).body
                     if isinstance(node, (ast.Import, ast.ImportFrom)))


def _definitions(source: str) -> tuple[str, ...]:
    """The names a cell defines at top level (functions, classes, assignments)."""
    names: list[str] = []
    for node in _tree(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    return tuple(names)


def _check_called(source: str) -> str | None:
    for node in ast.walk(_tree(source)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", "")
            if name.startswith("check_"):
                return name
    return None


# --- Exercises and the format ----------


def _parse(nb: NotebookNode) -> tuple[list[Exercise], list[str]]:
    """The exercises of an instructor notebook, and what breaks their format."""
    cells, found, problems = nb.cells, [], []
    i = 0
    while i < len(cells):
        match = _directive(cells[i], "exercise")
        if not match:
            i += 1
            continue
        label = (re.search(r"^:label:\s*(\S+)", match["body"], re.MULTILINE) or ["", ""])[1]
        title = match["arg"].strip()
        if not label:
            problems.append(f"cell {i + 1}: the exercise directive has no `:label:` option")
        gate = _directive(cells[i + 1], "solution", "solution-start") if i + 1 < len(cells) else None
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
                    if _directive(cells[k], "solution-end", "exercise")), len(cells))
        if end == len(cells) or not _directive(cells[end], "solution-end"):
            problems.append(f"cell {i + 2}: the solution of {label!r} has no `solution-end` cell")
            i += 2
            continue
        if not any(_grader(cells[k]).get("solution") for k in range(i + 2, end)):  # written, gated
            found.append(Exercise(label, title, "written", cell=i, end=end))
            i = end + 1
            continue
        solution, check = i + 2, end + 1
        problems += _check_cell(cells, solution, label, "solution", end - i - 2)
        problems += _check_cell(cells, check, label, "check")
        has_check = check < len(cells) and cells[check].cell_type == "code"
        meta = _grader(cells[check]) if has_check else {}
        points = meta.get("points", 0)
        found.append(Exercise(
            label, title, "code", grade_id=meta.get("grade_id"),
            points=float(points) if isinstance(points, (int, float)) else 0.0,
            check=_check_called(cells[check].source) if has_check else None,
            learner=_definitions(cells[solution].source) if cells[solution].cell_type == "code" else (),
            cell=i, end=check, solution_cell=solution, check_cell=check))
        i = check + 1
    return found, problems


def _check_cell(cells: list, index: int, label: str, role: str, count: int = 1) -> list[str]:
    """What is wrong with the solution or check cell of a code exercise."""
    where, problems = f"cell {index + 1}", []
    if count != 1:
        problems.append(f"{where}: solution-start ... solution-end of {label!r} must hold exactly "
                        f"one code cell, not {count} cells")
    if index >= len(cells) or cells[index].cell_type != "code":
        return problems + [f"{where}: the {role} cell of {label!r} must be a code cell"]
    meta, source = _grader(cells[index]), cells[index].source
    expected = {**(_SOLUTION if role == "solution" else _CHECK), "grade_id": f"{label}-{role}"}
    if wrong := {k: meta.get(k) for k, v in expected.items() if meta.get(k) != v}:
        problems.append(f"{where}: the {role} cell of {label!r} needs nbgrader metadata {expected}; "
                        f"these differ: {wrong}")
    if role == "check":
        points = meta.get("points")
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
            problems.append(f"{where}: the check cell of {label!r} needs `points` > 0, not {points!r}")
        if not _check_called(source):
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
    return _parse(_read(notebook))[0]


def section_start(nb: NotebookNode) -> int:
    """Index of the first exercise cell, in an instructor notebook or a student edition."""
    for index, cell in enumerate(nb.cells):
        if _directive(cell, "exercise") or "exercise" in cell.metadata.get("coursework", {}):
            return index
    return next((i for i, c in enumerate(nb.cells) if "nbgrader" in c.metadata), len(nb.cells))


def validate(notebook: Path | str | NotebookNode, *, name: str = "") -> list[str]:
    """What breaks the exercise format in one notebook, one sentence each (empty: nothing)."""
    nb = _read(notebook)
    name = name or (Path(notebook).name if not isinstance(notebook, NotebookNode) else "notebook")
    found, problems = _parse(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not code or code[0].source.strip() != SETUP_CELL.read_text("utf-8").strip():
        problems.append("the first code cell must be chapters/_setup_cell.py, character for character")
    if len(found) < 2 or not any(e.kind == "code" for e in found):
        problems.append(f"a chapter needs at least two exercises, one of them checked code; found "
                        f"{len(found)} ({sum(e.kind == 'code' for e in found)} code)")
    if number := re.match(r"(\d\d)_", name):
        problems += [f"exercise {e.label!r}: the labels of this chapter start with 'ex-{number[1]}-'"
                     for e in found if not e.label.startswith(f"ex-{number[1]}-")]
    owned = {i for e in found for i in (e.solution_cell, e.check_cell) if i is not None}
    for index, cell in enumerate(nb.cells):
        if "nbgrader" in cell.metadata and index not in owned:
            problems.append(f"cell {index + 1}: nbgrader metadata outside an exercise's solution or check cell")
        if index not in owned and "SOLUTION" in cell.source and re.search(r"(BEGIN|END) SOLUTION", cell.source):
            problems.append(f"cell {index + 1}: a solution marker outside a solution cell")
        if re.search(r"BEGIN HIDDEN TESTS|BEGIN MARK SCHEME|AUTOTEST", cell.source):
            problems.append(f"cell {index + 1}: hidden tests, mark schemes and AUTOTEST are not used")
    ids = [_grader(c).get("grade_id") for c in nb.cells if "nbgrader" in c.metadata]
    problems += [f"grade_id {g!r} is used twice" for g in sorted({g for g in ids if ids.count(g) > 1})]
    try:
        problems += _section_problems(nb, found)
    except SyntaxError as error:
        problems.append(f"a code cell does not parse: {error}")
    return [f"{name}: {p}" for p in problems]


def _section_problems(nb: NotebookNode, found: list[Exercise]) -> list[str]:
    start, problems = section_start(nb), []
    imported = set(dir(builtins)) | _IPYTHON_NAMES
    for cell in nb.cells[:start]:
        imported |= _names(_imports(cell.source))[0] if cell.cell_type == "code" else set()
    names = {i: _names(c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code" and i >= start}
    bound = imported.union(*(b for b, _ in names.values()))
    for index, (_, read) in names.items():
        if missing := sorted(read - bound):
            problems.append(f"cell {index + 1} uses {missing}, which the exercise section neither "
                            "defines nor imports: it runs on its own, after the earlier imports only")
    for exercise in (e for e in found if e.kind == "code" and e.check_cell in names):
        learner = set(exercise.learner)
        for index, (cell_bound, read) in names.items():
            if index > exercise.check_cell and (used := (read - cell_bound) & learner):
                problems.append(f"cell {index + 1} uses {sorted(used)} of {exercise.label!r}: in the "
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
        for cell in _read(path).cells:
            if (key := _grader(cell).get("grade_id")) and seen.setdefault(key, path.name) != path.name:
                problems.append(f"{path.name}: grade_id {key!r} is already used in {seen[key]}")
    return problems


# --- Editions ----------


def nbgrader_source(notebook: Path | str | NotebookNode) -> NotebookNode:
    """The instructor notebook readied for learners, code solutions still in (module docstring)."""
    nb = copy.deepcopy(_read(notebook))
    found, problems = _parse(nb)
    if problems:
        raise FormatError("; ".join(problems))
    drop: dict[int, str | None] = {}  # cell index -> None, or the label of the answer cell put there
    for exercise in found:
        if exercise.kind == "code":
            drop.update({exercise.cell + 1: None, exercise.end - 1: None})  # the two gates
        else:
            drop.update({k: None for k in range(exercise.cell + 2, exercise.end + 1)})
            drop[exercise.cell + 1] = exercise.label
    cells = []
    for index, cell in enumerate(nb.cells):
        if index in drop:
            if drop[index]:
                cells.append(nbformat.v4.new_markdown_cell(TEXT_STUB, id=f"{drop[index]}-answer"))
            continue
        if match := _directive(cell, "exercise"):
            label = next(e.label for e in found if e.cell == index)
            body = re.sub(r"^:[\w-]+:.*\n", "", match["body"], flags=re.MULTILINE).strip()
            text = f"**Exercise ({label}): {match['arg'].strip()}**\n\n{body}"
            cell.source = cell.source[:match.start()] + text + cell.source[match.end():]
            cell.metadata["coursework"] = {"exercise": label}
        cells.append(cell)
    nb.cells = cells
    return nb


def _checksum(cell: NotebookNode) -> str:
    """nbgrader.utils.compute_checksum."""
    meta, digest = _grader(cell), hashlib.md5()
    for part in (cell.source, cell.cell_type, str(meta.get("grade", False)),
                 str(meta.get("solution", False)), str(_locked(meta)), meta["grade_id"]):
        digest.update(part.encode("utf-8"))
    if meta.get("grade", False):
        digest.update(str(float(meta["points"])).encode("utf-8"))
    return digest.hexdigest()


def _locked(meta: dict) -> bool:
    """nbgrader.utils.is_locked."""
    return bool(meta) and not meta.get("solution", False) and bool(meta.get("grade") or meta.get("locked", False))


def clear_solutions(nb: NotebookNode) -> NotebookNode:
    """nbgrader's LockCells, ClearSolutions, ClearOutput and ComputeChecksums, without nbgrader."""
    for cell in nb.cells:
        meta = _grader(cell)
        solution, grade, locked = meta.get("solution", False), meta.get("grade", False), _locked(meta)
        if solution:
            cell.metadata["deletable"] = False
        elif grade or locked:
            cell.metadata.update(deletable=False, editable=False)
        stub = (CODE_STUB if cell.cell_type == "code" else TEXT_STUB).split("\n")
        lines, inside, replaced = [], False, False
        for line in cell.source.split("\n"):
            if "BEGIN SOLUTION" in line:
                if inside:
                    raise FormatError("encountered nested begin solution statements")
                inside = replaced = True
                lines += [re.match(r"\s*", line)[0] + part for part in stub]
            elif "END SOLUTION" in line:
                inside = False
            elif not inside:
                lines.append(line)
        if inside:
            raise FormatError("no end solution statement found")
        if replaced and not solution:
            raise FormatError("Solution region detected in a non-solution cell")
        cell.source = "\n".join(lines if replaced or not solution else stub)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            for field in ("collapsed", "scrolled"):
                cell.metadata.pop(field, None)
        if grade or solution or locked:
            cell.metadata.nbgrader.update(checksum=_checksum(cell), cell_type=cell.cell_type)
    nb.metadata.pop("celltoolbar", None)
    return nb


def has_nbgrader() -> bool:
    try:
        import nbgrader.preprocessors  # noqa: F401
    except ImportError:
        return False
    return True


def nbgrader_clear(nb: NotebookNode) -> NotebookNode:
    """nbgrader's own LockCells, ClearSolutions, ClearOutput, CheckCellMetadata, ComputeChecksums,
    in ``nbgrader generate_assignment``'s order (its database steps left out)."""
    from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, ClearSolutions, ComputeChecksums, LockCells
    resources: dict = {}
    for step in (LockCells, ClearSolutions, ClearOutput, CheckCellMetadata, ComputeChecksums):
        nb, resources = step().preprocess(nb, resources)
    return nb


def student_edition(notebook: Path | str | NotebookNode, *, use_nbgrader: bool | None = None) -> NotebookNode:
    """The learner's notebook: :func:`nbgrader_clear` (if installed) or :func:`clear_solutions`
    on :func:`nbgrader_source`."""
    nb = nbgrader_source(notebook)
    return nbgrader_clear(nb) if (has_nbgrader() if use_nbgrader is None else use_nbgrader) else clear_solutions(nb)


if __name__ == "__main__":  # the command line lives in lib.grading, with the commands that run notebooks
    from lib.grading import main

    sys.exit(main())
