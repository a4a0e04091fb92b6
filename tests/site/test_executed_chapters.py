"""Every chapter ran, from the current sources, without an error: the book build's executions.

The README's test command executes every chapter notebook once, in the book build: jupyter-book
runs each one in a kernel in ``chapters/``, as nbval or Colab would, and ``-W`` turns a cell that
raises into a failed build, so ``pytest`` never starts. Running them all again under nbval would
double the test command's time and test nothing new. This module makes sure that the executions
the build left in ``_build/jupyter_execute/`` are those of the files in this checkout: the same
cells, each one run, no error output, and written after the notebook and every file of ``lib``
last changed. A missing or stale execution fails with the command that makes a fresh one.

One chapter, without building the book: ``pytest --nbval-lax chapters/07_concat_and_decode.ipynb``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import book_site as book  # tests/site/book_site.py

EXECUTED = book.ROOT / "_build" / "jupyter_execute"
NOTEBOOKS = [page for page in book.pages() if page.is_notebook]
LIB_FILES = sorted((book.ROOT / "lib").rglob("*.py"))
REBUILD = f"build the book with the README's build command ({book.BUILD_COMMAND.split(' && ')[-1]})"


def executed_copy(page: book.Page) -> Path:
    return EXECUTED / f"{page.docname}.ipynb"


def cell_sources(notebook: dict) -> list[tuple[str, str]]:
    return [(cell["cell_type"], "".join(cell["source"])) for cell in notebook["cells"]]


def shown(path: Path) -> str:
    """``path`` relative to the repository, else its name."""
    return str(path.relative_to(book.ROOT)) if path.is_relative_to(book.ROOT) else path.name


def problems(source: Path, executed: Path, newer_than: list[Path]) -> list[str]:
    """What is wrong with ``executed`` as the build's execution of ``source``; [] when nothing."""
    if not executed.is_file():
        return [f"{shown(executed)} does not exist: the book was not built, or not since this chapter was added"]
    ran = json.loads(executed.read_text(encoding="utf-8"))
    found: list[str] = []
    if cell_sources(ran) != cell_sources(json.loads(source.read_text(encoding="utf-8"))):
        found.append(f"{shown(executed)} holds other cells than {shown(source)}: it was executed from an older version")
    changed = [path for path in (source, *newer_than) if path.stat().st_mtime > executed.stat().st_mtime]
    if changed:
        found.append(f"{', '.join(shown(p) for p in changed[:3])}{' and more' if len(changed) > 3 else ''} "
                     f"changed after {shown(executed)} was executed")
    for index, cell in enumerate(ran["cells"]):
        if cell["cell_type"] != "code" or not "".join(cell["source"]).strip():
            continue
        if cell.get("execution_count") is None:
            found.append(f"cell {index} was not executed")
        for output in cell.get("outputs", []):
            if output["output_type"] == "error":
                found.append(f"cell {index} raised {output['ename']}: {output['evalue'][:200]}")
    return found


def test_every_page_of_the_toc_is_checked():
    assert len(NOTEBOOKS) >= 10 and all(page.source is not None for page in NOTEBOOKS)


@pytest.mark.parametrize("page", NOTEBOOKS, ids=lambda page: page.name)
def test_the_build_executed_the_chapter_from_the_current_sources_without_an_error(page):
    found = problems(page.source, executed_copy(page), LIB_FILES)
    assert not found, f"{page.docname}: " + "; ".join(found) + f". To check it again, {REBUILD}"


def test_problems_reports_a_missing_stale_unrun_or_failed_execution(tmp_path):
    source = tmp_path / "chapter.ipynb"
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# A chapter"]},
             {"cell_type": "code", "metadata": {}, "source": ["x = 1"], "outputs": [], "execution_count": None},
             {"cell_type": "code", "metadata": {}, "source": ["assert x == 2"], "outputs": [],
              "execution_count": None}]
    source.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    executed = tmp_path / "executed.ipynb"
    assert "does not exist" in problems(source, executed, [])[0]

    def write_executed(cell_list):
        executed.write_text(json.dumps({"cells": cell_list, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))

    ran = [dict(cells[0]), {**cells[1], "execution_count": 1},
           {**cells[2], "execution_count": 2, "outputs": [
               {"output_type": "error", "ename": "AssertionError", "evalue": "", "traceback": []}]}]
    write_executed(ran)
    assert problems(source, executed, []) == ["cell 2 raised AssertionError: "]
    write_executed([ran[0], ran[1], {**cells[2], "execution_count": None}])
    assert problems(source, executed, []) == ["cell 2 was not executed"]
    write_executed([ran[0], {**ran[1], "source": ["x = 2"]}, {**cells[2], "execution_count": 2}])
    assert "other cells" in problems(source, executed, [])[0]
    write_executed([ran[0], ran[1], {**cells[2], "execution_count": 2}])
    assert problems(source, executed, []) == []
    library = tmp_path / "attention.py"
    library.write_text("# changed after the build\n")
    later = executed.stat().st_mtime + 5
    os.utime(library, (later, later))
    assert problems(source, executed, [library]) == ["attention.py changed after executed.ipynb was executed"]
