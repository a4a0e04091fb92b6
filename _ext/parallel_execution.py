"""Execute the book's notebooks side by side, before Sphinx reads them.

myst-nb executes a notebook when Sphinx reads it, so the chapters run one after another, and
jupyter-book 1.x cannot pass Sphinx's ``-j``. With ``execute_notebooks: cache`` myst-nb takes a
notebook's outputs from its jupyter-cache when the cache holds a run of the same code. So, on
``env-before-read-docs``, this extension executes every notebook that Sphinx is about to read,
one kernel per CPU, with the same call and settings myst-nb uses (``single_nb_execution``), and
caches each run that succeeds; the read that follows finds them. Every page Sphinx reads is
therefore executed in this build, as with ``force``, never taken from an older run.

* A kernel gets ``OMP_NUM_THREADS`` = CPUs // kernels (at least 1), unless the variable is set:
  two torch threads per kernel on two busy cores run many times slower than one.
* ``parallel_execution_alone`` (``sphinx: config:`` in ``_config.yml``) names notebooks that spread
  their own work over the CPUs (chapter 9 trains its models in worker processes): they run first,
  one at a time, with every CPU and no ``OMP_NUM_THREADS`` set here; then the others side by side,
  those named in ``parallel_execution_first`` first, in its order (the longest: started last, one
  would run alone at the end while the other CPUs wait), then the rest in the order Sphinx reads
  them (alphabetical: for the chapters, their numbers).
* A run that fails is not cached, and an older run of the same code is removed: myst-nb executes
  that notebook again as it reads it, alone, and reports the error as it always does (``-W``
  makes it fail the build).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

import nbformat
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import ExecutionResult, single_nb_execution
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from lib.cpus import available_cpus

logger = logging.getLogger(__name__)


@contextmanager
def _kernel_threads(threads: int) -> Iterator[None]:
    """Kernels started inside inherit ``OMP_NUM_THREADS=threads``, unless the variable is set already."""
    if "OMP_NUM_THREADS" in os.environ:
        yield
        return
    os.environ["OMP_NUM_THREADS"] = str(threads)
    try:
        yield
    finally:
        del os.environ["OMP_NUM_THREADS"]


def _notebooks(env: BuildEnvironment, docnames: list[str]) -> list[tuple[str, Path]]:
    """The (docname, path) of each notebook to read that myst-nb would execute."""
    excluded = env.mystnb_config.execution_excludepatterns
    found = []
    for docname in docnames:
        path = Path(env.doc2path(docname))
        if path.suffix == ".ipynb" and not any(PurePosixPath(path.as_posix()).match(p) for p in excluded):
            found.append((docname, path))
    return found


def _execute(path: Path, env: BuildEnvironment) -> ExecutionResult:
    """Run one notebook as myst-nb's cache mode would (its directory, timeout and error settings)."""
    notebook = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    config = env.mystnb_config
    overrides = dict(notebook.metadata.get(config.metadata_key, {}))  # e.g. {"execution_timeout": 900}
    overrides.pop("output_folder", None)
    config = config.copy(**overrides)
    return single_nb_execution(notebook, cwd=str(path.parent), timeout=config.execution_timeout,
                               allow_errors=config.execution_allow_errors, meta_override=True)


def _forget(cache: Any, path: Path) -> None:
    """Remove the cached run of ``path``'s current code, if the cache holds one."""
    try:
        record = cache.match_cache_notebook(nbformat.read(path, as_version=4))
    except KeyError:
        return
    cache.remove_cache(record.pk)


def execute_in_parallel(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    if env.mystnb_config.execution_mode != "cache":
        return
    notebooks = _notebooks(env, docnames)
    if not notebooks:
        return
    # Even one notebook runs here: left to myst-nb, an unchanged notebook would come from the cache.
    alone = [item for item in notebooks if item[0] in app.config.parallel_execution_alone]
    first = list(app.config.parallel_execution_first)
    together = sorted((item for item in notebooks if item not in alone),  # stable: the rest in Sphinx's order
                      key=lambda item: first.index(item[0]) if item[0] in first else len(first))
    cache = get_cache(env.mystnb_config.execution_cache_path)
    started = time.perf_counter()
    for item in alone:
        logger.info(f"executing {item[0]} alone, with every CPU")
        _run([item], 1, env, cache)
    if together:
        cpus = available_cpus()
        kernels = min(len(together), cpus)
        threads = max(1, cpus // kernels)
        logger.info(f"executing {len(together)} notebooks, {kernels} at a time, {threads} torch thread(s) each "
                    "(OMP_NUM_THREADS)")
        with _kernel_threads(threads):
            _run(together, kernels, env, cache)
    logger.info(f"executed {len(notebooks)} notebooks in {time.perf_counter() - started:.1f} s")


def _run(notebooks: list[tuple[str, Path]], kernels: int, env: BuildEnvironment, cache: Any) -> None:
    """Execute ``notebooks``, ``kernels`` at a time, and cache each run that succeeds."""
    with ThreadPoolExecutor(max_workers=kernels) as pool:
        runs = {pool.submit(_execute, path, env): (docname, path) for docname, path in notebooks}
        for run in as_completed(runs):
            docname, path = runs[run]
            result = run.result()
            if result.err is not None:
                _forget(cache, path)  # else myst-nb would render an older, successful run of the same code
                logger.info(f"{docname}: failed after {result.time:.1f} s ({type(result.err).__name__}); "
                            "myst-nb runs it again as it reads it, and reports the error")
                continue
            stage = cache.add_nb_to_project(str(path))
            cache.cache_notebook_bundle(CacheBundleIn(result.nb, stage.uri, data={"execution_seconds": result.time}),
                                        check_validity=False, overwrite=True)
            logger.info(f"{docname}: executed in {result.time:.1f} s")


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("parallel_execution_alone", [], "env", [list])
    app.add_config_value("parallel_execution_first", [], "env", [list])
    # After myst-nb has made env.mystnb_config (builder-inited), before the first page is read.
    app.connect("env-before-read-docs", execute_in_parallel)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
