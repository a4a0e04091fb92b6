"""Checkpoints: a model's weights, with its training history and extras, in one safe file.

:func:`save_checkpoint` writes plain tensors, numbers, strings, lists and dicts (vocabularies as
their token lists) to a temporary file and renames it into place, so a crash never leaves half a
file and ``torch.load(..., weights_only=True)`` reads it back without running pickled code;
:func:`load_checkpoint` loads one into a model, refusing with a :class:`CheckpointError` a file
that is missing, corrupt, another program's, or of another model's shapes. The training cache
(:mod:`lib.training_cache`) keeps its trained models in them.

No chapter saves a ``config=`` or ``extra=``; they stay because ``tests/lib/test_bad_inputs.py``
tests them (a vocabulary in ``extra``, a value refused at save time).
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .data import Vocab
from .history import History

__all__ = ["CheckpointError", "save_checkpoint", "load_checkpoint"]


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used: missing, corrupt, or for another model."""


def save_checkpoint(
    path: str | Path, model: nn.Module, *, config: dict[str, Any] | None = None,
    history: History | None = None, extra: dict[str, Any] | None = None,
) -> Path:
    """Save weights, a JSON-able config, the history and extras (e.g. vocabularies).

    Written to a temporary file and renamed, so a crash never leaves half a checkpoint.
    Everything saved is plain tensors, numbers, strings, lists and dicts: loadable with
    ``torch.load(..., weights_only=True)``. In ``extra``, a :class:`~lib.data.Vocab` is saved as
    its token list and comes back from :func:`load_checkpoint` as a ``Vocab``; any other object
    is refused here, at save time (a ``TypeError`` naming where it sits), not at load time.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "format": "attention-step-by-step/1",
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "config": json.loads(json.dumps(config or {})),
        "history": history.to_dict() if history is not None else None,
        "extra": _plain(extra or {}, "extra"),
    }
    # A name of its own: two processes (the book's chapters run side by side) may save the same
    # cached training at once; each renames a whole file into place, and either one is correct.
    handle, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(state, file)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


_VOCAB_TAG = "__vocab_itos__"


def _plain(value: Any, where: str) -> Any:
    """``value`` as what ``torch.load(weights_only=True)`` reads back, vocabularies tagged."""
    if isinstance(value, Vocab):
        return {_VOCAB_TAG: list(value.itos)}
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item, f"{where}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, dict) and all(isinstance(key, (str, int)) for key in value):
        return {key: _plain(item, f"{where}[{key!r}]") for key, item in value.items()}
    raise TypeError(
        f"save_checkpoint cannot save {where} (a {type(value).__name__}): a checkpoint holds only "
        "tensors, numbers, strings, None, lists, dicts with str keys and lib.data.Vocab, so that "
        "torch.load(weights_only=True) can read it back; convert it (e.g. to a dict) first"
    )


def _restore(value: Any) -> Any:
    """Undo :func:`_plain`'s tagging: vocabularies back to :class:`~lib.data.Vocab`."""
    if isinstance(value, dict):
        if set(value) == {_VOCAB_TAG}:
            return Vocab.from_state_dict({"itos": value[_VOCAB_TAG]})
        return {key: _restore(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_restore(item) for item in value]
    return value


def load_checkpoint(
    path: str | Path, model: nn.Module | None = None, *, map_location: str | torch.device = "cpu"
) -> dict[str, Any]:
    """Load a checkpoint safely (``weights_only=True``), into ``model`` if given.

    Returns:
        the checkpoint dict (``model``, ``config``, ``history`` as a :class:`History` or None,
        ``extra``).

    Raises:
        CheckpointError: the file is missing, is not a checkpoint, is corrupt or truncated, or
            holds weights of another shape than ``model``'s.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}: train the model first, or check the path")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as error:
        raise CheckpointError(
            f"{path} is not a readable checkpoint (corrupt or truncated: {error}); delete it and "
            "train again"
        ) from error
    except Exception as error:  # weights_only refuses pickled objects with UnpicklingError
        raise CheckpointError(
            f"{path} holds objects that torch.load(weights_only=True) refuses to unpickle "
            f"({type(error).__name__}); only checkpoints written by save_checkpoint load here"
        ) from error
    if not isinstance(state, dict) or state.get("format") != "attention-step-by-step/1":
        raise CheckpointError(
            f"{path} is not a checkpoint of this course: expected a dict with format "
            f"'attention-step-by-step/1', got {type(state).__name__}"
        )
    if model is not None:
        expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
        found = {k: tuple(v.shape) for k, v in state["model"].items()}
        if expected != found:
            differing = [f"{name}: the model's {expected.get(name, 'absent')}, the file's "
                         f"{found.get(name, 'absent')}" for name in sorted(set(expected) | set(found))
                         if expected.get(name) != found.get(name)]
            raise CheckpointError(
                f"{path} holds weights for another model (the model has {len(expected)} tensors, "
                f"the file {len(found)}); build the model with the sizes it was saved with. "
                f"First differences: {'; '.join(differing[:4])}"
            )
        model.load_state_dict(state["model"])
    if state.get("history") is not None:
        state["history"] = History.from_dict(state["history"])
    state["extra"] = _restore(state.get("extra") or {})
    return state

