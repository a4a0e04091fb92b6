"""The training cache: a seeded training run, once trained, is loaded instead of trained again.

:func:`load_or_train` is its one entry point, which :func:`lib.train.fit` calls when given
``cache=``. The checkpoint's file name is the cache name followed by the run's fingerprint
(:func:`lib.fingerprint.training_fingerprint`: the model, data, batches, settings, ``evaluate``
and the training code), so a changed run trains afresh and an unchanged one loads the weights
and history it produced. A file lock makes one process train while any other that wants the
same run waits and loads its result: the book's chapters run side by side, and chapter 7 needs
the model chapter 1 is training.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import torch
from filelock import FileLock, Timeout
from torch import nn

from ._fit_checks import check_cache_name
from .checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from .fingerprint import training_fingerprint
from .history import History
from .paths import writable_cache_folder

__all__ = ["load_or_train"]


def load_or_train(
    name: str, model: nn.Module, loader: Iterable[Any], settings: dict[str, Any], *,
    evaluate: Callable[[nn.Module], dict[str, float]] | None, train: Callable[[], History],
    training_code: Iterable[object], device: torch.device, description: str,
) -> History:
    """The history of ``train()`` (and its weights, in ``model``): loaded if cached, else trained.

    Args:
        name: the cache name, a file name such as ``"dates"`` (never a path).
        model, loader, settings, evaluate: what the run trains, on what, how (every setting of
            ``fit``, the device type included) and what it measures: the fingerprint's inputs.
        train: trains ``model`` in place and returns its history (called at most once).
        training_code: the functions of the training loop, whose code the fingerprint hashes.
        device: where the loaded model is moved; description: names the run in messages.
    """
    check_cache_name(name)
    key = training_fingerprint(model, loader, settings, evaluate, training_code=training_code)
    checkpoint = writable_cache_folder("checkpoints") / f"{name}-{key}.pt"
    lock = FileLock(f"{checkpoint}.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        print(f"{description}: waiting for another process that is training the same run ({checkpoint})")
        lock.acquire()
    try:
        if checkpoint.is_file():
            return _load_cached(checkpoint, model, device, description)
        history = train()
        save_checkpoint(checkpoint, model, history=history)
        return history
    finally:
        lock.release()


def _load_cached(checkpoint: Path, model: nn.Module, device: torch.device, description: str) -> History:
    """The history (and, into ``model``, the weights) of a training cached before."""
    try:
        history = load_checkpoint(checkpoint, model)["history"]
    except CheckpointError as error:
        raise CheckpointError(f"the training cache file {checkpoint} is corrupt ({error}); "
                              "delete it and train again") from error
    if not isinstance(history, History):
        raise CheckpointError(f"the training cache file {checkpoint} is corrupt (it holds "
                              "no training history); delete it and train again")
    model.to(device).eval()
    print(f"{description}: loaded the weights this training produced before "
          f"({history.train_seconds:.1f} s on {history.device}) from {checkpoint}; "
          "delete that file to train again")
    return history
