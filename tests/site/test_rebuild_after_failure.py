"""A failed page stays failed until it runs cleanly: README's build command on a tiny book.

Sphinx rebuilds only the pages whose source changed. A notebook that failed to execute (a
missing data folder, say) has not changed once its cause is fixed outside it, so a plain
``jupyter-book build`` would keep the page with the traceback and report "build succeeded".
README.md's command therefore builds with ``--all`` (a fresh Sphinx environment: every page
read, so every notebook executed again). This test replays what a new user did: the build
fails, the cause is fixed, the same command runs again, and the page now holds the new result.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

import book_site as book  # tests/site/book_site.py

VARIABLE = "TINY_BOOK_INPUT"
TIME_LIMIT_S = 120  # per build; each takes about 10 s


def jupyter_book_command() -> list[str]:
    """The ``jupyter-book build ...`` part of README's build command, as arguments."""
    step = next(part.strip() for part in book.BUILD_COMMAND.split("&&") if "jupyter-book build" in part)
    arguments = shlex.split(step)
    executable = Path(sys.executable).with_name("jupyter-book")
    return [str(executable), *arguments[1:]]


def make_tiny_book(root: Path) -> None:
    """A root page and one notebook that needs ``$TINY_BOOK_INPUT``, with the course's execute settings."""
    settings = {"title": "Tiny", "execute": book.config()["execute"], "only_build_toc_files": True}
    (root / "_config.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    (root / "_toc.yml").write_text(yaml.safe_dump(
        {"format": "jb-book", "root": "intro", "chapters": [{"file": "needs_input"}]}), encoding="utf-8")
    (root / "intro.md").write_text("# Tiny book\n", encoding="utf-8")
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Needs input"),
        nbformat.v4.new_code_cell(f"import os\nprint('the input is', os.environ['{VARIABLE}'])"),
    ])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, root / "needs_input.ipynb")


def build(root: Path, value: str | None) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k != VARIABLE}
    if value is not None:
        env[VARIABLE] = value
    done = subprocess.run(jupyter_book_command(), cwd=root, env=env, capture_output=True, text=True,
                          timeout=TIME_LIMIT_S)
    return done.returncode, done.stdout + done.stderr


def page(root: Path) -> str:
    return (root / "_build" / "html" / "needs_input.html").read_text(encoding="utf-8")


def test_readme_build_command_reruns_a_page_that_failed(tmp_path):
    make_tiny_book(tmp_path)

    status, log = build(tmp_path, None)
    assert status != 0, f"the build passed although the notebook raised:\n{log[-2000:]}"
    assert "KeyError" in page(tmp_path)  # the failed page, as the user saw it

    status, log = build(tmp_path, "forty-two")  # the cause fixed; nothing in the book changed
    assert status == 0, f"the rebuild failed after the cause was fixed:\n{log[-2000:]}"
    assert "the input is forty-two" in page(tmp_path)
    assert "Traceback" not in page(tmp_path) and "KeyError" not in page(tmp_path)
