"""Running exercises and grading them: the exercise section, nbclient, points.

Why the exercise section runs alone. Exercises close a chapter, and the cells before the first
exercise are the same code in the instructor notebook and in the student edition (the student
edition only changes solution, check and exercise cells, and those all sit in the section), so
running them once per notebook is enough, and the full run of the instructor notebooks in the
test command's book build does that. The section is the part whose behaviour differs between
editions; it runs after the setup cell and the earlier cells' ``import`` statements, which is
cheap even in chapters that train a model before their exercises.
:func:`coursework.exercise_format.validate` checks statically that the section needs nothing
else, and running it proves it.

The course's own notebooks (the tests) run through :func:`execute` (nbclient). A learner's
submission runs through :func:`grade`, which never trusts it: its code runs in a kernel of its
own (:mod:`coursework.sandbox`), with time limits (:class:`Limits`), and the instructor's check
cells run in the grading process, given stand-ins that get back only data from that kernel.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import copy
import io
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from .editions import CODE_STUB, student_edition
from .exercise_format import Exercise, exercises, section_start
from .notebooks import CHAPTERS, NotebookError, bound_and_read, grader, imports, read, tree
from .sandbox import LearnerDied, LearnerFunction, LearnerKernel, LearnerTimeout

__all__ = ["exercise_section", "execute", "execute_together", "Result", "results", "Limits", "Graded",
           "tampered", "Source", "grade"]


def exercise_section(nb: NotebookNode) -> NotebookNode:
    """The setup cell, one cell with the earlier cells' imports, then the exercise section."""
    start = section_start(nb)
    earlier = [c for c in nb.cells[:start] if c.cell_type == "code"]
    section = copy.deepcopy(nb)
    imported = "\n".join(filter(None, (imports(c.source) for c in earlier[1:])))
    section.cells = copy.deepcopy(earlier[:1]) + [nbformat.v4.new_code_cell(imported)] + section.cells[start:]
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
    cells = {grader(c).get("grade_id"): c for c in executed.cells if "nbgrader" in c.metadata}
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


@dataclass(frozen=True)
class Limits:
    """Time limits of grading, in seconds: one cell (a solution cell, or one check and every call
    it makes of the learner's function), and one whole submission, kernel start included."""

    cell: float = 60.0
    submission: float = 300.0


@dataclass
class Graded:
    """One submission's row: its results, or why it could not be graded (``error``), and what
    went wrong on the way (``problems``: cells that raised or ran too long, changed locked cells)."""

    notebook: str
    results: list[Result] = field(default_factory=list)
    max_score: float = 0.0
    error: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(r.score for r in self.results)

    @property
    def graded(self) -> bool:
        return not self.error

    def as_dict(self) -> dict:
        """The row as the report writes it, each text cut to :data:`MAX_TEXT` characters (a
        learner's error message can be megabytes long)."""
        return {"notebook": self.notebook, "graded": self.graded, "score": self.score, "max_score": self.max_score,
                "error": _capped(self.error), "problems": [_capped(p) for p in self.problems],
                "exercises": [{**asdict(r), "message": _capped(r.message)} for r in self.results]}


#: The longest text a report row carries for one message.
MAX_TEXT = 2000


def _capped(text: str) -> str:
    return text if len(text) <= MAX_TEXT else f"{text[:MAX_TEXT]}… ({len(text) - MAX_TEXT:,} more characters cut)"


def tampered(submitted: NotebookNode, edition: NotebookNode) -> list[str]:
    """The locked cells of ``edition`` (nbgrader's checksums) that ``submitted`` changed or lost."""
    from nbgrader.utils import compute_checksum, is_locked
    cells = {grader(c).get("grade_id"): (i, c) for i, c in enumerate(submitted.cells) if "nbgrader" in c.metadata}
    out = []
    for cell in (c for c in edition.cells if is_locked(c)):
        grade_id = grader(cell)["grade_id"]
        if grade_id not in cells:
            out.append(f"the locked cell {grade_id} was deleted")
        else:
            index, mine = cells[grade_id]
            try:
                same = compute_checksum(mine) == grader(cell).get("checksum")
            except (KeyError, ValueError, TypeError):
                same = False
            if not same:
                out.append(f"cell {index + 1}: the locked cell {grade_id} was changed")
    return out


def _learner_cells(graded: NotebookNode) -> list[tuple[int, NotebookNode]]:
    """The code cells of the exercise section that run in the learner's kernel: all but the
    check cells (those run in the grading process, from the instructor's source)."""
    section = exercise_section(graded)
    return [(i, c) for i, c in enumerate(section.cells) if c.cell_type == "code"
            and not (grader(c).get("grade") and not grader(c).get("solution"))]


def _trusted_namespace(instructor: NotebookNode, found: list[Exercise]) -> dict:
    """The instructor's imports that the check cells use, run here, before any learner code runs
    (so that no module of the checks is first read from disk after learner code could change it)."""
    solutions = {e.solution_cell for e in found}
    wanted = set().union(*(bound_and_read(instructor.cells[e.check_cell].source)[1] for e in found))
    namespace: dict = {"__name__": "__coursework_checks__"}
    for index, cell in enumerate(instructor.cells):
        if cell.cell_type != "code" or index in solutions:
            continue
        for node in tree(cell.source).body:
            if isinstance(node, (ast.Import, ast.ImportFrom)) and bound_and_read(ast.unparse(node))[0] & wanted:
                exec(compile(ast.Module([node], []), f"<{index + 1}>", "exec"), namespace)  # noqa: S102
    return namespace


def _check(kernel: LearnerKernel, exercise: Exercise, source: str, trusted: dict, deadline: float,
           solution_note: str) -> Result:
    """Run one check cell of the instructor's here, the learner's names bound to stand-ins."""
    namespace = dict(trusted)
    names = sorted(bound_and_read(source)[1] - set(namespace) - set(dir(builtins)))
    output = io.StringIO()
    try:
        for name, (kind, value) in kernel.lookup(names).items():
            if kind == "callable":
                namespace[name] = LearnerFunction(kernel, name, deadline)
            elif kind == "value":
                namespace[name] = value
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            exec(compile(source, f"<check {exercise.grade_id}>", "exec"), namespace)  # noqa: S102
    except LearnerTimeout as error:
        return Result(exercise.label, exercise.grade_id or "", exercise.points, 0.0,
                      f"not graded: the learner's function ran past the time limit ({error})")
    except LearnerDied as error:
        return Result(exercise.label, exercise.grade_id or "", exercise.points, 0.0,
                      f"not graded: the learner's kernel died ({error})")
    except Exception as error:  # noqa: BLE001 - the check's verdict
        message = f"{type(error).__name__}: {error}" + (f" ({solution_note})" if isinstance(error, NameError)
                                                        and solution_note else "")
        return Result(exercise.label, exercise.grade_id or "", exercise.points, 0.0, message)
    return Result(exercise.label, exercise.grade_id or "", exercise.points, exercise.points, output.getvalue().strip())


@dataclass(frozen=True)
class Source:
    """An instructor notebook as grading uses it, read once, before any learner code runs (so
    that no submission can change what the next one is graded against): the notebook, its
    checked exercises, its student edition and the imports its check cells use."""

    path: Path
    notebook: NotebookNode
    exercises: list[Exercise]
    edition: NotebookNode
    trusted: dict

    @classmethod
    def read(cls, path: Path) -> "Source":
        """Raises NotebookError (or FormatError) for a notebook that is missing, broken, or has
        no solutions to grade against (a student edition)."""
        path = Path(path)
        if not path.exists():
            raise NotebookError(path, "does not exist: name the instructor notebook with --source")
        notebook = read(path)
        found = [e for e in exercises(notebook) if e.kind == "code"]
        if not found or any(notebook.cells[e.solution_cell].source.strip() == CODE_STUB for e in found):
            raise NotebookError(path, "has no solutions to grade against (a student or exercise edition?): "
                                "name the instructor notebook, chapters/NN_*.ipynb, with --source")
        return cls(path, notebook, found, student_edition(notebook), _trusted_namespace(notebook, found))


def grade(submission: Path, source: Path | Source | None = None, *, limits: Limits = Limits(),
          hidden: list[Path] = ()) -> Graded:
    """Grade a learner's notebook; it is never trusted.

    Only its solution cells count, matched by grade_id: they go into a fresh student edition of
    ``source`` (default: the chapter with the same file name), whose exercise section, check
    cells left out, runs in a kernel of the learner's own (:mod:`coursework.sandbox`: its own
    folder and namespaces; ``hidden``, files it must not see, such as the class's other
    submissions). Each check cell then runs *here*, taken from ``source``, given stand-ins that
    call the learner's functions in that kernel and get back data only: learner code cannot
    reach a check. Locked cells changed in the submission are reported (their changes count for
    nothing). To grade several submissions, read each :class:`Source` once, first.

    A submission that cannot be read, or runs past ``limits.submission``, gets a row with
    ``error`` set; a cell that raises or runs past ``limits.cell`` costs its exercise only.

    Raises:
        NotebookError, FormatError: ``source`` is missing or not a valid instructor notebook.
    """
    submission = Path(submission)
    if not isinstance(source, Source):
        source = Source.read(Path(source) if source else CHAPTERS / submission.name)
    deadline = time.monotonic() + limits.submission
    row = Graded(str(submission), max_score=sum(e.points for e in source.exercises))
    try:
        submitted = read(submission)
    except NotebookError as error:
        row.error = str(error)
        return row
    edition, answers = _with_answers(source.edition, submitted)
    row.problems += [f"{submission}, {p}; it is graded with the instructor's" for p in tampered(submitted, edition)]
    cells = _learner_cells(edition)
    kernel = LearnerKernel([c.source for _, c in cells], cell_timeout=limits.cell, deadline=deadline,
                           limited={k for k, (_, c) in enumerate(cells) if grader(c).get("solution")},
                           hidden=[*hidden, source.path])
    with kernel:
        try:
            runs = kernel.run()
        except LearnerDied as error:  # a BaseException: "except Exception" below does not catch it
            row.error = f"{submission}: its kernel died and could not be restarted ({error}); not graded"
            return row
        except LearnerTimeout:
            row.error = f"{submission}: ran past the {limits.submission:g} s limit for a submission; not graded"
            return row
        except Exception as error:  # noqa: BLE001 - the kernel could not start
            row.error = f"{submission}: its kernel could not run ({type(error).__name__}: {error}); not graded"
            return row
        notes = _cell_notes(runs, cells, answers)
        row.problems += [f"{submission}, {note}" for note in notes.values()]
        row.error = _check_every_exercise(row, kernel, source, notes, deadline, limits)
    return row


def _with_answers(edition: NotebookNode, submitted: NotebookNode) -> tuple[NotebookNode, dict[str, tuple[int, str]]]:
    """A copy of ``edition`` with the submission's solution cells put in (by grade_id), and those
    answers: grade_id -> (the cell's index in the submission, its source)."""
    edition = copy.deepcopy(edition)
    answers = {grader(c).get("grade_id"): (i, c.source) for i, c in enumerate(submitted.cells)
               if grader(c).get("solution") and c.cell_type == "code"}
    for cell in edition.cells:
        if grader(cell).get("solution") and grader(cell).get("grade_id") in answers:
            cell.source = answers[grader(cell)["grade_id"]][1]
    return edition, answers


def _cell_notes(runs: list, cells: list[tuple[int, NotebookNode]],
                answers: dict[str, tuple[int, str]]) -> dict[str | None, str]:
    """grade_id -> what went wrong in that cell ("cell 7 (ex-03-scores-solution) raised ..."),
    for each learner cell that did not run cleanly, numbered as the learner sees it."""
    notes = {}
    for run in (r for r in runs if r.status != "ok"):
        grade_id = grader(cells[run.index][1]).get("grade_id")
        where = f"cell {answers[grade_id][0] + 1} ({grade_id})" if grade_id in answers else \
            f"cell {cells[run.index][0] + 1} of the exercise section"
        notes[grade_id] = f"{where} {'raised ' if run.status == 'error' else ''}{run.message}"
    return notes


def _check_every_exercise(row: Graded, kernel: LearnerKernel, source: Source, notes: dict[str | None, str],
                          deadline: float, limits: Limits) -> str:
    """Run each exercise's check into ``row.results``; the row's error ("" if none) if the
    submission ran out of time or its kernel could not be restarted."""
    for exercise in source.exercises:
        if time.monotonic() > deadline:
            return f"{row.notebook}: ran past the {limits.submission:g} s limit for a submission; not graded"
        if not kernel.alive:  # killed by the previous check: a new one, before this check's clock starts
            try:
                kernel.revive()
            except (LearnerTimeout, LearnerDied) as error:
                return f"{row.notebook}: its kernel could not be restarted ({error}); not graded"
        note = notes.get(f"{exercise.label}-solution", "")
        row.results.append(_check(kernel, exercise, source.notebook.cells[exercise.check_cell].source,
                                  source.trusted, min(deadline, time.monotonic() + limits.cell),
                                  f"its {note}" if note else ""))
    return ""
