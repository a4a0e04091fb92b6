"""The root conftest.py's scheduling of the tests: its list of long files is current, every run
gets xdist's workers, and the test command runs every notebook under nbval."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

# By path: under pytest, the name "conftest" may be another folder's conftest.py.
_spec = importlib.util.spec_from_file_location("root_conftest", Path(__file__).parents[1] / "conftest.py")
conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conftest)


def test_every_file_named_longest_first_exists():
    missing = [path for path in conftest.LONGEST_FIRST if not (conftest.ROOT / path).is_file()]
    assert not missing, f"conftest.LONGEST_FIRST names files that do not exist: {missing}"


def test_every_run_gets_xdists_count_nbval_too():
    def config(**options):
        return SimpleNamespace(getoption=lambda name, default=None: options.get(name, default))

    assert conftest.pytest_xdist_auto_num_workers(config(nbval_lax=True)) == conftest.available_cpus() + 1
    assert conftest.pytest_xdist_auto_num_workers(config()) == conftest.available_cpus() + 1


def test_the_test_command_runs_every_chapter_and_every_exercise_edition_under_nbval():
    """What the README's ``python -m pytest`` collects from the notebooks (pyproject.toml's
    testpaths and --nbval-lax): every chapter and every exercise edition, cell by cell."""
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0", "-p", "no:cacheprovider",
                           "chapters", "exercises"], cwd=conftest.ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    collected = {line.split("::")[0] for line in done.stdout.splitlines() if "::Cell " in line}
    chapters = {f"chapters/{p.name}" for p in (conftest.ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")}
    editions = {f"exercises/{p.name}" for p in (conftest.ROOT / "exercises").glob("[0-9][0-9]_*.ipynb")}
    assert len(chapters) == len(editions) == 11  # ten chapters and the page after chapter 07
    assert collected == chapters | editions
