"""Every chapter ran, from the current sources, without an error: the book build's executions.

The README's test command executes every chapter notebook in the book build: each one runs in a
kernel in ``chapters/``, as Colab would (``_ext/parallel_execution.py`` runs them side by side and
files each run in myst-nb's jupyter-cache, from which the pages are rendered), and ``-W`` turns a
cell that raises into a failed build, so ``pytest`` never starts. ``pytest`` then runs every
chapter and exercise edition again under nbval, loading the models the build trained. This
module makes sure that the runs the build left in ``_build/.jupyter_cache``, the ones the site
shows, are those of the files in this checkout: a run of the same code cells (the cache's own
match), each cell run, no error output, and made after the notebook and every file of ``lib``
last changed. A missing or stale run fails with the command that makes a fresh one.

One chapter, without building the book: ``pytest chapters/07_concat_and_decode.ipynb``.
"""

from __future__ import annotations

import os
from datetime import timezone
from pathlib import Path

import nbformat
import pytest
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn

import book_site as book  # tests/site/book_site.py

CACHE = book.ROOT / "_build" / ".jupyter_cache"
NOTEBOOKS = [page for page in book.pages() if page.is_notebook]
LIB_FILES = sorted((book.ROOT / "lib").rglob("*.py"))
REBUILD = f"build the book with the README's build command ({book.BUILD_COMMAND.split(' && ')[-1]})"


def shown(path: Path) -> str:
    """``path`` relative to the repository, else its name."""
    return str(path.relative_to(book.ROOT)) if path.is_relative_to(book.ROOT) else path.name


def problems(source: Path, cache: Path, newer_than: list[Path]) -> list[str]:
    """What is wrong with the run of ``source`` in the jupyter-cache ``cache``; [] when nothing."""
    if not cache.is_dir():
        return [f"{shown(cache)} does not exist: the book was not built"]
    notebook = nbformat.read(source, as_version=4)
    try:
        record = get_cache(str(cache)).match_cache_notebook(notebook)
    except KeyError:
        return [f"{shown(cache)} holds no run of the code in {shown(source)}: the book was not built since "
                "it changed, or this chapter failed"]
    made = record.created.replace(tzinfo=timezone.utc).timestamp()  # jupyter-cache stores UTC
    found: list[str] = []
    changed = [path for path in (source, *newer_than) if path.stat().st_mtime > made]
    if changed:
        found.append(f"{', '.join(shown(p) for p in changed[:3])}{' and more' if len(changed) > 3 else ''} "
                     f"changed after the build ran {shown(source)}")
    _, ran = get_cache(str(cache)).merge_match_into_notebook(notebook)
    for index, cell in enumerate(ran.cells):
        if cell.cell_type != "code" or not cell.source.strip():
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
    found = problems(page.source, CACHE, LIB_FILES)
    assert not found, f"{page.docname}: " + "; ".join(found) + f". To check it again, {REBUILD}"


def test_problems_reports_a_missing_stale_unrun_or_failed_execution(tmp_path):
    source = tmp_path / "chapter.ipynb"
    cells = [nbformat.v4.new_markdown_cell("# A chapter"), nbformat.v4.new_code_cell("x = 1"),
             nbformat.v4.new_code_cell("assert x == 2")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), source)
    cache = tmp_path / "cache"
    assert "does not exist" in problems(source, cache, [])[0]

    def cache_run(code_cells):
        ran = nbformat.v4.new_notebook(cells=[cells[0], *code_cells])
        get_cache(str(cache)).cache_notebook_bundle(CacheBundleIn(ran, str(source)), check_validity=False,
                                                    overwrite=True)

    error = nbformat.v4.new_output("error", ename="AssertionError", evalue="", traceback=[])
    ok = nbformat.v4.new_code_cell("x = 1", execution_count=1)
    cache_run([ok, nbformat.v4.new_code_cell("assert x == 2", execution_count=2, outputs=[error])])
    assert problems(source, cache, []) == ["cell 2 raised AssertionError: "]
    cache_run([ok, nbformat.v4.new_code_cell("assert x == 2")])
    assert problems(source, cache, []) == ["cell 2 was not executed"]
    get_cache(str(cache)).clear_cache()
    cache_run([nbformat.v4.new_code_cell("x = 2", execution_count=1),
               nbformat.v4.new_code_cell("assert x == 2", execution_count=2)])
    assert "holds no run of the code" in problems(source, cache, [])[0]
    cache_run([ok, nbformat.v4.new_code_cell("assert x == 2", execution_count=2)])
    assert problems(source, cache, []) == []
    library = tmp_path / "attention.py"
    library.write_text("# changed after the build\n")
    later = get_cache(str(cache)).match_cache_notebook(nbformat.read(source, as_version=4)).created
    later = later.replace(tzinfo=timezone.utc).timestamp() + 5
    os.utime(library, (later, later))
    assert problems(source, cache, [library]) == ["attention.py changed after the build ran chapter.ipynb"]
