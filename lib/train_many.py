"""Several independent training runs at once: :func:`train_models`, beside :func:`lib.train.fit`.

On a CPU with more than one core the runs train side by side in worker processes, each leaving
its model in ``fit``'s training cache (:mod:`lib.training_cache`), from which the calling process
then loads it: the results are the ones training each run alone gives, since training is seeded.
On a GPU, or with one core, they train one after another. Chapter 9 trains its five translation
models this way (``train_models(train_model, runs)`` with :func:`lib.translation.train_model`).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

import torch

from .cpus import available_cpus
from .train import pick_device

__all__ = ["train_models"]

Result = TypeVar("Result")


def train_models(train: Callable[..., Result], runs: Sequence[Sequence[Any]], *,
                 device: str | torch.device | None = None) -> list[Result]:
    """``train(*run, device=device, progress=False)`` for every run of ``runs``, same results.

    On a CPU with more than one core the runs train side by side, in ``workers = min(len(runs),
    CPUs)`` processes of ``CPUs // workers`` torch threads each: these models keep a second thread
    of one process busy for only a seventh of its time, a second process for all of it (the
    figures are in CONTRIBUTING.md). Each worker leaves its model in ``fit``'s cache, from which
    this process then loads it, so ``train`` must train through ``fit(cache=...)``.

    Args:
        train: a module-level function (the workers are spawned and import it by name), e.g.
            :func:`lib.translation.train_model`.
        runs: the positional arguments of each call, e.g. ``(kind, data, plan, seed)``.
        device: where to train; :func:`~lib.train.pick_device` when None.
    """
    device = pick_device(device)
    workers = min(len(runs), available_cpus())
    if device.type == "cpu" and workers > 1:
        threads = max(1, available_cpus() // workers)
        # spawn, not fork: a forked child of a process whose OpenMP threads have run can hang.
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=torch.set_num_threads, initargs=(threads,)) as pool:
            list(pool.map(_train_and_cache, [train] * len(runs), runs, [device.type] * len(runs)))
    return [train(*run, device=device, progress=False) for run in runs]


def _train_and_cache(train: Callable[..., object], run: Sequence[Any], device: str) -> None:
    """One run in a worker: its result stays in the training cache, not sent back (a model and
    its data would be pickled across)."""
    train(*run, device=device, progress=False)
