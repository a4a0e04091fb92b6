"""The root conftest.py's scheduling of the tests: its list of long files is current, and nbval's
notebooks run in one process."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

# By path: under pytest, the name "conftest" may be another folder's conftest.py.
_spec = importlib.util.spec_from_file_location("root_conftest", Path(__file__).parents[1] / "conftest.py")
conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conftest)


def test_every_file_named_longest_first_exists():
    missing = [path for path in conftest.LONGEST_FIRST if not (conftest.ROOT / path).is_file()]
    assert not missing, f"conftest.LONGEST_FIRST names files that do not exist: {missing}"


def test_nbval_runs_in_one_process_and_other_runs_get_xdists_count():
    def config(**options):
        return SimpleNamespace(getoption=lambda name, default=None: options.get(name, default))

    assert conftest.pytest_xdist_auto_num_workers(config(nbval_lax=True)) == 0
    assert conftest.pytest_xdist_auto_num_workers(config(nbval=True)) == 0
    assert conftest.pytest_xdist_auto_num_workers(config()) == conftest.available_cpus() + 1
