"""The Colab setup cell: the first code cell of every notebook, identical everywhere.

Its canonical text is chapters/_setup_cell.py. In Colab it pip-installs the course from the
repository named in _config.yml (and leaves Colab's torch, numpy and matplotlib alone);
anywhere else it does nothing. The Colab *button* of each page is checked against the built
site in tests/site/test_site.py.
"""

from __future__ import annotations

import difflib
import json
import re
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest


import book_site as book  # tests/site/book_site.py: the book's files, as the tests read them
SETUP_TEXT = book.SETUP_CELL.read_text(encoding="utf-8").strip()
REPO = book.repository()
PAGES = book.pages(include_root=False)

# What the cell may never name: Colab's own builds must stay as they are.
PREINSTALLED = ("torch", "numpy", "matplotlib")


def _run_cell(globals_: dict | None = None) -> dict:
    namespace = {"__name__": "__main__"} if globals_ is None else globals_
    exec(compile(SETUP_TEXT, str(book.SETUP_CELL), "exec"), namespace)
    return namespace


# (a) ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=[p.docname for p in PAGES])
def test_toc_entry_exists(page):
    assert page.source is not None, (
        f"_toc.yml lists {page.docname!r} but neither {page.docname}.ipynb nor {page.docname}.md "
        "exists"
    )
    if page.is_numbered_chapter:
        assert page.is_notebook, f"{page.source.name}: a numbered chapter must be a notebook (.ipynb)"


def _first_code_cell(path: Path):
    nb = nbformat.read(path, as_version=4)
    return next((cell for cell in nb.cells if cell.cell_type == "code"), None)


NOTEBOOKS = [p for p in PAGES if p.is_notebook]


EXERCISE_EDITIONS = sorted((book.ROOT / "exercises").glob("[0-9][0-9]_*.ipynb"))
FIRST_CELLS = [p.source for p in NOTEBOOKS] + EXERCISE_EDITIONS


@pytest.mark.parametrize("path", FIRST_CELLS, ids=[str(p.relative_to(book.ROOT)) for p in FIRST_CELLS])
def test_first_code_cell_is_the_setup_cell(path):
    """Every chapter, and every exercise edition (what the site's Colab button opens)."""
    cell = _first_code_cell(path)
    assert cell is not None, f"{path.name} has no code cell; its first must be the setup cell"
    source = cell.source.strip()
    if source != SETUP_TEXT:
        diff = "\n".join(
            difflib.unified_diff(
                SETUP_TEXT.splitlines(), source.splitlines(),
                "chapters/_setup_cell.py", f"{path.name}, first code cell", lineterm="",
            )
        )
        pytest.fail(
            f"The first code cell of {path.name} must be chapters/_setup_cell.py, "
            f"character for character:\n{diff}"
        )
    # On the site the cell does nothing; a reader's first code should be the lesson's.
    assert "remove-cell" in cell.metadata.get("tags", []), (
        f"{path.name}: tag the setup cell 'remove-cell' (it stays the first cell in Colab, hidden on the site)")


def test_every_toc_notebook_is_checked():
    # The parametrised test above must not pass vacuously once chapters exist.
    on_disk = sorted(p.name for p in (book.ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
    listed = sorted(p.source.name for p in NOTEBOOKS)
    missing = sorted(set(on_disk) - set(listed))
    assert not missing, f"chapter notebooks not listed in _toc.yml: {missing}"


# (b) ----------------------------------------------------------------------------------------


@pytest.fixture
def recorded_runs(monkeypatch):
    calls: list[tuple[tuple, dict]] = []

    def fake_run(*args, **kwargs):
        calls.append((args, kwargs))
        return subprocess.CompletedProcess(args[0] if args else kwargs.get("args"), 0)

    monkeypatch.setattr(subprocess, "run", fake_run)
    for forbidden in ("call", "check_call", "check_output", "Popen"):
        monkeypatch.setattr(subprocess, forbidden, _refuse(forbidden))
    return calls


def _refuse(name):
    def refuse(*args, **kwargs):
        raise AssertionError(f"the setup cell must use subprocess.run, not subprocess.{name}")

    return refuse


def test_in_colab_it_pip_installs_the_course_from_the_repository(monkeypatch, recorded_runs):
    google = types.ModuleType("google")
    colab = types.ModuleType("google.colab")
    google.colab = colab
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)

    _run_cell()

    assert len(recorded_runs) == 1, f"expected one pip call in Colab, got {recorded_runs}"
    args, kwargs = recorded_runs[0]
    command = list(args[0]) if args else list(kwargs["args"])
    assert command == [sys.executable, "-m", "pip", "install", "--quiet", REPO.pip_requirement]
    assert kwargs.get("check") is True, "a failed install must stop the notebook (check=True)"
    for flag in ("--upgrade", "-U", "--force-reinstall", "--ignore-installed", "-I"):
        assert flag not in command, f"{flag} would replace Colab's preinstalled packages"
    for package in PREINSTALLED:
        assert not any(re.search(rf"\b{package}\b", part) for part in command[1:]), (
            f"the setup cell must not name {package}: Colab's own build stays"
        )


# (c) ----------------------------------------------------------------------------------------


def test_outside_colab_it_runs_nothing(monkeypatch, recorded_runs):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    _run_cell()
    assert recorded_runs == []


def test_outside_colab_it_imports_nothing_heavy(tmp_path):
    # A fresh interpreter: this one may have imported torch for other tests already.
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import json, subprocess, sys\n"
        "def refuse(*args, **kwargs):\n"
        "    raise SystemExit(f'the setup cell ran {args} outside Colab')\n"
        "subprocess.run = subprocess.call = subprocess.check_call = subprocess.Popen = refuse\n"
        "before = set(sys.modules)\n"
        f"exec(compile(open({str(book.SETUP_CELL)!r}).read(), 'setup', 'exec'), {{}})\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n",
        encoding="utf-8",
    )
    result = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True, check=True)
    new_modules = json.loads(result.stdout)
    heavy = [m for m in new_modules if m.split(".")[0] in {*PREINSTALLED, "lib", "google", "pip", "IPython"}]
    assert heavy == [], f"outside Colab the setup cell imported {heavy}"


# (d) ----------------------------------------------------------------------------------------


def test_the_cell_installs_from_the_configured_repository_and_branch():
    found = re.findall(r"git\+(https://[^\s\"'@]+)@([^\s\"']+)", SETUP_TEXT)
    assert found == [(REPO.url, REPO.branch)], (
        f"chapters/_setup_cell.py installs from {found}, but _config.yml's repository is "
        f"{REPO.url} on branch {REPO.branch}: change them together"
    )


def test_the_repository_is_on_github_for_colab():
    # Colab opens notebooks straight from GitHub: /github/<org>/<repo>/blob/<branch>/<path>.
    assert REPO.url.startswith("https://github.com/"), REPO.url
    assert REPO.org_and_repo.count("/") == 1, REPO.url
    launch = book.config()["launch_buttons"]
    assert launch["colab_url"].rstrip("/") == "https://colab.research.google.com"
