"""Reading the chapter notebooks: where they are, their cells, and the names their code uses."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
from nbformat import NotebookNode

__all__ = ["ROOT", "CHAPTERS", "SETUP_CELL", "NotebookError", "chapter_notebooks", "read", "name_of"]

#: The repository: this package lives at its root, beside ``chapters/`` (it is never installed).
ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
SETUP_CELL = CHAPTERS / "_setup_cell.py"
_DIRECTIVE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{(?P<name>exercise|solution|solution-start|solution-end)\}[ \t]*"
    r"(?P<arg>.*)\n(?P<body>(?:.*\n)*?)(?P=fence)[ \t]*$", re.MULTILINE)


def chapter_notebooks(chapters: Path = CHAPTERS) -> list[Path]:
    """Every chapter notebook, ``chapters/NN_*.ipynb``, in reading order."""
    return sorted(Path(chapters).glob("[0-9][0-9]_*.ipynb"))


class NotebookError(ValueError):
    """A notebook that cannot be read or used; the message names the notebook and, where there is
    one, the cell: ``"ada.ipynb, cell 7: ..."``."""

    def __init__(self, notebook: object, problem: str, cell: int | None = None) -> None:
        self.notebook, self.cell, self.problem = name_of(notebook), cell, problem
        super().__init__(f"{self.notebook}{'' if cell is None else f', cell {cell + 1}'}: {problem}")


def name_of(notebook: object) -> str:
    """How messages name a notebook: its path as given, or "notebook" for one built in memory."""
    return "notebook" if isinstance(notebook, NotebookNode) else str(notebook)


def read(notebook: Path | str | NotebookNode) -> NotebookNode:
    """A notebook, from a path or as it is.

    Raises:
        NotebookError: the file is missing, not JSON (truncated), or not a valid notebook; the
            message names the file and the cell (or the line of the JSON) at fault.
    """
    if isinstance(notebook, NotebookNode):
        return notebook
    path = Path(notebook)
    if path.is_dir():
        raise NotebookError(path, "is a folder, not a notebook (.ipynb file)")
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise NotebookError(path, "does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise NotebookError(path, f"cannot be read ({error})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        what = "is empty" if not text.strip() else f"is not valid JSON at line {error.lineno}, column {error.colno} " \
            f"({error.msg}{'; the file looks truncated' if not text.rstrip().endswith('}') else ''})"
        raise NotebookError(path, f"{what}: a notebook is a JSON file; restore it from a copy") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookError(path, f"is JSON but not a notebook: expected an object with a list of \"cells\", "
                            f"got {type(data).__name__}"
                            + (f" with keys {sorted(data)[:5]}" if isinstance(data, dict) else ""))
    for index, cell in enumerate(data["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw") \
                or not isinstance(cell.get("source"), (str, list)):
            raise NotebookError(path, "is not a notebook cell: expected a code, markdown or raw cell with "
                                f"a source, got {json.dumps(cell)[:80]}", index)
    try:
        nb = nbformat.reads(text, as_version=4)  # warns, and does not raise, on minor schema slips
    except nbformat.ValidationError as error:
        where = list(getattr(error, "path", []))
        cell = where[1] if len(where) > 1 and where[0] == "cells" and isinstance(where[1], int) else None
        raise NotebookError(path, f"is not a valid notebook: {error.message}", cell) from None
    except Exception as error:  # noqa: BLE001 - nbformat's own errors are of many kinds
        raise NotebookError(path, f"is not a valid notebook: {type(error).__name__}: {error}") from None
    return nb


def directive(cell: NotebookNode, *names: str) -> re.Match[str] | None:
    match = _DIRECTIVE.search(cell.source + "\n") if cell.cell_type == "markdown" else None
    return match if match and (not names or match["name"] in names) else None


def grader(cell: NotebookNode) -> dict:
    return dict(cell.metadata.get("nbgrader", {}))


# --- Reading code: names, imports, the check called ----------


def tree(source: str) -> ast.Module:
    """The AST of a code cell; IPython magics and shell lines read as ``pass``."""
    return ast.parse("\n".join("pass" if line.lstrip().startswith(("%", "!")) else line
                               for line in source.splitlines()))


def bound_and_read(source: str) -> tuple[set[str], set[str]]:
    """(the names a cell binds anywhere, the names it reads)."""
    bound: set[str] = set()
    read: set[str] = set()
    for node in ast.walk(tree(source)):
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


def imports(source: str) -> str:
    """The top-level ``import`` statements of a cell."""
    return "\n".join(ast.unparse(node) for node in tree(source).body
                     if isinstance(node, (ast.Import, ast.ImportFrom)))


def definitions(source: str) -> tuple[str, ...]:
    """The names a cell defines at top level (functions, classes, assignments)."""
    names: list[str] = []
    for node in tree(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    return tuple(names)


def check_called(source: str) -> str | None:
    for node in ast.walk(tree(source)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", "")
            if name.startswith("check_"):
                return name
    return None
