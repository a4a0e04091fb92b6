"""What :func:`lib.train.fit` refuses: a model, batches, metrics and a cache name it cannot use.

Each check reads only Python objects and tensor shapes, never tensor values, so the ones run at
every training step cost no host-device sync.
"""

from __future__ import annotations

import inspect
import math
import numbers
import os
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from .data import Batch

__all__ = ["check_model", "check_batch", "check_output", "check_metrics", "check_cache_name"]

_CALL = "model(source, source_lengths, target_in) -> (logits, weights)"
_MODELS = "a lib.models.Seq2Seq (build_model) or a lib.transformer.TransformerSeq2Seq"


def check_model(model: object) -> None:
    """Refuse what is not an ``nn.Module`` whose forward takes ``(source, source_lengths, target_in)``."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"fit needs {_MODELS} (an nn.Module called as {_CALL}), got {type(model).__name__}")
    try:
        inspect.signature(model.forward).bind(None, None, None)
    except TypeError:
        raise TypeError(f"fit needs {_MODELS} (an nn.Module called as {_CALL}), got a "
                        f"{type(model).__name__}, whose forward takes "
                        f"{inspect.signature(model.forward)}") from None
    except ValueError:  # no signature to read (a built-in forward): the call will tell
        pass


def check_batch(batch: object) -> Batch:
    """``batch`` if it is a :class:`~lib.data.Batch`; a loader of tuples would fail at ``batch.to``."""
    if not isinstance(batch, Batch):
        raise TypeError(f"the training loader must yield lib.data.Batch es (source, source_lengths, "
                        f"target_in, target_out), got a {type(batch).__name__}: build it with "
                        "lib.data.make_loader(PairDataset(...)) or bucketed_loader")
    return batch


def check_output(output: Any) -> torch.Tensor:
    """The logits ``(B, L, V)`` of a model's ``(logits, weights)``; a bare tensor would be unpacked
    along its batch axis."""
    if not (isinstance(output, tuple) and len(output) == 2 and isinstance(output[0], torch.Tensor)
            and output[0].dim() == 3):
        shown = (f"a {output.dim()}-D tensor" if isinstance(output, torch.Tensor)
                 else f"a {type(output).__name__}")
        raise TypeError(f"fit needs a model called as {_CALL} with logits (batch, tgt_len, vocab), "
                        f"as {_MODELS} returns; this one returned {shown}")
    return output[0]


def check_metrics(metrics: object) -> dict[str, Any]:
    """``evaluate(model)``'s result, a dict of named numbers (each lands in ``History.evals``)."""
    if not isinstance(metrics, Mapping) or not all(
            isinstance(name, str) and (isinstance(value, numbers.Real) or (
                isinstance(value, torch.Tensor) and value.dim() == 0)) for name, value in metrics.items()):
        raise TypeError(f"evaluate must return a dict of named numbers such as {{'exact_match': 0.9}}, "
                        f"got {type(metrics).__name__} {str(metrics)[:60]}; e.g. "
                        "evaluate=lambda m: {'score': score(m)}")
    # A NaN score would sit in History.evals and on a curve as if it were a result.
    broken = {name: float(value) for name, value in metrics.items() if not math.isfinite(float(value))}
    if broken:
        raise ValueError(f"evaluate returned {', '.join(f'{n}={v}' for n, v in broken.items())}: every metric "
                         "must be a finite number (a NaN often means an average over no examples)")
    return dict(metrics)


def check_cache_name(cache: object) -> str:
    """A name for the checkpoint file, never a path: ``"../x"`` would write outside the cache."""
    if not isinstance(cache, str):
        raise TypeError(f"cache must be a str such as 'ch07-dates' (or None), got {type(cache).__name__}")
    separators = {"/", "\\", os.sep, os.altsep or "/"}
    if not cache or any(s in cache for s in separators) or "\0" in cache:
        raise ValueError(f"cache must be a plain name such as 'ch07-dates', without '/' or '\\', got "
                         f"{cache!r}: it names a file inside the cache folder, never a path")
    return cache
