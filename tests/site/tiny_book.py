"""A tiny book with the course's execution settings, built by README's build command.

The course's ``execute`` section of ``_config.yml``, its ``_ext/parallel_execution.py`` and the
``jupyter-book build`` step of README's build command, around notebooks a test writes: what the
real build does to a notebook, in seconds instead of minutes.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

import book_site as book  # tests/site/book_site.py

TIME_LIMIT_S = 180  # per build; each takes 10 to 20 s


def jupyter_book_command() -> list[str]:
    """The ``jupyter-book build ...`` part of README's build command, as arguments."""
    step = next(part.strip() for part in book.BUILD_COMMAND.split("&&") if "jupyter-book build" in part)
    arguments = shlex.split(step)
    executable = Path(sys.executable).with_name("jupyter-book")
    return [str(executable), *arguments[1:]]


def make(root: Path, notebooks: dict[str, list[str]], alone: list[str] = (), first: list[str] = ()) -> None:
    """A root page and one notebook per name (its code cells), built with the course's settings.

    ``alone`` and ``first`` replace the course's ``parallel_execution_alone`` (notebooks run first,
    one at a time) and ``parallel_execution_first`` (then these start first, side by side).
    """
    course = book.config()
    sphinx = {"local_extensions": {"parallel_execution": "_ext"},
              "config": {"parallel_execution_alone": list(alone), "parallel_execution_first": list(first)}}
    assert course["sphinx"]["local_extensions"]["parallel_execution"] == "_ext"
    settings = {"title": "Tiny", "execute": course["execute"], "only_build_toc_files": True, "sphinx": sphinx}
    (root / "_config.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    (root / "_ext").mkdir()
    shutil.copy(book.ROOT / "_ext" / "parallel_execution.py", root / "_ext")
    (root / "_toc.yml").write_text(yaml.safe_dump(
        {"format": "jb-book", "root": "intro", "chapters": [{"file": name} for name in notebooks]}), encoding="utf-8")
    (root / "intro.md").write_text("# Tiny book\n", encoding="utf-8")
    for name, cells in notebooks.items():
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {name}")]
                                            + [nbformat.v4.new_code_cell(source) for source in cells])
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(notebook, root / f"{name}.ipynb")


def build(root: Path, env: dict[str, str | None] | None = None) -> tuple[int, str]:
    """Run the build in ``root`` with ``env`` changed (None removes a variable): (exit status, log)."""
    environment = dict(os.environ)
    for name, value in (env or {}).items():
        environment.pop(name, None)
        if value is not None:
            environment[name] = value
    done = subprocess.run(jupyter_book_command(), cwd=root, env=environment, capture_output=True, text=True,
                          timeout=TIME_LIMIT_S)
    return done.returncode, done.stdout + done.stderr


def page(root: Path, name: str) -> str:
    return (root / "_build" / "html" / f"{name}.html").read_text(encoding="utf-8")
