"""What a seeded training run depends on, as one hash: the key of ``fit(cache=...)``.

The key covers everything that determines the trained weights and the recorded history, and
nothing else, so that editing a check's message or a figure keeps every cached model valid:

* the model: its classes' source code, its ``repr`` (sizes) and its initial weights;
* the data: the dataset's padded id tensors (a ``Subset``'s indices too; a dataset without
  them is refused, not given a shared key);
* the batches: the loader's batch size, ``drop_last`` and sampler (a shuffled loader's generator
  state, a custom sampler's code and settings), so ``shuffle`` and the order count;
* the training: every setting of ``fit``, the device type, the training loop's own code, torch's
  version, and the ``evaluate`` callback's identity (its name, compiled code and the data it
  reads).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import threading
import types
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Sampler, Subset

__all__ = ["training_fingerprint"]

_DATA_FIELDS = ("source", "source_lengths", "target_in", "target_out")


# inspect.getsource parses the module with ast.parse, which CPython 3.11 cannot run in two threads
# at once: they share one recursion counter and one of them raises "SystemError: AST constructor
# recursion depth mismatch" (python/cpython#106905). fit() may run in threads side by side.
_PARSING = threading.Lock()


def _source(obj: object) -> str:
    """The source code of a class or function; its qualified name if it has none on disk."""
    try:
        with _PARSING:
            return inspect.getsource(obj)  # type: ignore[arg-type]
    except (OSError, TypeError):  # defined in a notebook cell or built in
        return getattr(obj, "__qualname__", type(obj).__qualname__)


def _digest_of(value: object) -> str:
    """A short digest of a value a setting may hold (tensors by content)."""
    if isinstance(value, torch.Tensor):
        return hashlib.sha256(value.detach().cpu().contiguous().numpy().tobytes()).hexdigest()
    if isinstance(value, torch.Generator):
        return "generator " + _digest_of(value.get_state())
    if isinstance(value, Subset):  # e.g. random_split: the indices choose the data
        return f"subset of {_digest_of(value.dataset)}: " + _digest_of(list(value.indices))
    if isinstance(value, Dataset):
        fields = [getattr(value, name) for name in _DATA_FIELDS
                  if isinstance(getattr(value, name, None), torch.Tensor)]
        if not fields:  # nothing to read the data from: refuse rather than share a key
            raise TypeError(f"fit(cache=...) cannot fingerprint a {type(value).__name__}: it reads the "
                            f"data from the tensors {_DATA_FIELDS} of a lib.data.PairDataset (or a Subset "
                            "of one); train without cache= for other datasets")
        return "dataset " + hashlib.sha256("".join(_digest_of(f) for f in fields).encode()).hexdigest()
    if isinstance(value, (bool, int, float, str, type(None))):
        return repr(value)
    if isinstance(value, (list, tuple)) and all(isinstance(v, (bool, int, float, str)) for v in value):
        return hashlib.sha256(repr(value).encode()).hexdigest()
    if isinstance(value, Sampler):
        return _describe_sampler(value)
    return type(value).__qualname__


def _describe_sampler(sampler: object) -> str:
    """A sampler's class (with its code, unless it is PyTorch's own) and every setting it holds."""
    cls = type(sampler)
    code = "" if cls.__module__.startswith("torch.") else _source(cls)
    settings = {name: _digest_of(value) for name, value in sorted(vars(sampler).items())}
    return json.dumps({"class": f"{cls.__module__}.{cls.__qualname__}", "code": code, **settings})


def _describe_loader(loader: Iterable[Any]) -> str:
    """The batches a loader serves: its dataset, batch size, drop_last and sampler."""
    if isinstance(loader, DataLoader):
        return json.dumps({
            "dataset": _digest_of(loader.dataset), "batch_size": loader.batch_size,
            "drop_last": loader.drop_last, "batch_sampler": _describe_sampler(loader.batch_sampler),
            "collate_fn": _source(loader.collate_fn),
        })
    if isinstance(loader, (list, tuple)):  # batches given one by one
        return json.dumps([[_digest_of(getattr(b, name)) for name in _DATA_FIELDS] for b in loader])
    raise TypeError(f"fit(cache=...) needs a DataLoader or a list of batches to fingerprint, got "
                    f"{type(loader).__name__}; train without cache= for other iterables")


def _code_digest(code: types.CodeType) -> str:
    """What a compiled function does: its bytecode, the names it uses and its constants (nested
    functions and comprehensions included), but not where it stands. ``inspect.getsource`` of a
    lambda is the whole line around it, so the same ``lambda m: evaluate(m, test_set)`` written
    in two chapters' ``fit(...)`` calls would get two keys and train twice."""
    digest = hashlib.sha256(code.co_code)
    digest.update(repr((code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars)).encode())
    for constant in code.co_consts:
        digest.update((_code_digest(constant) if isinstance(constant, types.CodeType) else repr(constant)).encode())
    return digest.hexdigest()


def _describe_callable(function: Callable[..., Any] | None) -> str:
    """A callback's identity: its qualified name, code, and the values it reads (closure and globals)."""
    if function is None:
        return "none"
    read = {}
    code = getattr(function, "__code__", None)
    if isinstance(code, types.CodeType):
        cells = dict(zip(code.co_freevars, (c.cell_contents for c in function.__closure__ or ())))
        globals_ = getattr(function, "__globals__", {})
        for name in sorted(set(code.co_names) | set(cells)):
            if name in cells or name in globals_:
                value = cells[name] if name in cells else globals_[name]
                if not callable(value) and not isinstance(value, types.ModuleType):
                    read[name] = _digest_of(value)
    return json.dumps({"name": getattr(function, "__qualname__", repr(function)),
                       "code": _code_digest(code) if isinstance(code, types.CodeType) else _source(function),
                       "reads": read})


def training_fingerprint(model: nn.Module, loader: Iterable[Any], settings: dict[str, Any],
                         evaluate: Callable[..., Any] | None, training_code: Iterable[object]) -> str:
    """A 16-hex-digit hash of everything a seeded training run depends on (module docstring).

    Args:
        settings: every setting of ``fit`` (JSON-able), the device type included.
        training_code: the functions of the training loop, whose code is hashed.
    """
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    digest.update(torch.__version__.encode())
    digest.update(repr(model).encode())
    # Sorted: a set of classes iterates in id() order, which differs from process to process.
    classes = {cls for m in model.modules() for cls in type(m).__mro__}  # base classes' code too
    for cls in sorted(classes, key=lambda cls: (cls.__module__, cls.__qualname__)):
        if cls.__module__ not in ("builtins", "typing") and not cls.__module__.startswith("torch."):
            digest.update(_source(cls).encode())
    for tensor in model.state_dict().values():
        digest.update(_digest_of(tensor).encode())
    digest.update(_describe_loader(loader).encode())
    digest.update(_describe_callable(evaluate).encode())
    for function in training_code:
        digest.update(_source(function).encode())
    return digest.hexdigest()[:16]
