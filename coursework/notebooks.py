"""Reading the chapter notebooks: where they are, their cells, and the names their code uses."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
from nbformat import NotebookNode

__all__ = ["ROOT", "CHAPTERS", "SETUP_CELL", "chapter_notebooks", "read"]

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


def read(notebook: Path | str | NotebookNode) -> NotebookNode:
    """A notebook, from a path or as it is."""
    return notebook if isinstance(notebook, NotebookNode) else nbformat.read(notebook, as_version=4)


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
