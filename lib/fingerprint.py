"""What a seeded training run depends on, as one hash: the key of ``fit(cache=...)``.

The key covers everything that determines the trained weights and the recorded history, and
nothing else, so that editing a check's message or a figure keeps every cached model valid:

* the model: its classes' source code, its ``repr`` (sizes) and its initial weights;
* the data: the dataset's padded id tensors and its class's code (a ``Subset``'s indices too;
  a dataset without them is refused, not given a shared key);
* the batches: the loader's batch size, ``drop_last`` and sampler (a shuffled loader's generator
  state, a custom sampler's code and settings), so ``shuffle`` and the order count;
* the training: every setting of ``fit``, the device type, the training loop's own code, torch's
  version, and the ``evaluate`` callback's identity (its name, compiled code, the data it reads,
  its default arguments, and a bound method's object: its class's code and its attributes).
  A default argument or attribute the key cannot read is refused, not keyed by its type.

A class defined in a notebook cell has no source ``inspect`` can find: its methods' compiled
code stands for it.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import os
import threading
import types
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Sampler, Subset

from .data import PairDataset, Vocab

__all__ = ["training_fingerprint"]


# inspect.getsource parses the module with ast.parse, which CPython 3.11 cannot run in two threads
# at once: they share one recursion counter and one of them raises "SystemError: AST constructor
# recursion depth mismatch" (python/cpython#106905). fit() may run in threads side by side.
_PARSING = threading.Lock()


def _source(obj: object) -> str:
    """The source code of a class or function; without one on disk, a class's compiled methods and
    anything else's qualified name."""
    try:
        with _PARSING:
            return inspect.getsource(obj)  # type: ignore[arg-type]
    except (OSError, TypeError):  # defined in a notebook cell or built in
        if isinstance(obj, type):  # a notebook's class: inspect finds its methods' code, not its own
            return obj.__qualname__ + json.dumps(_class_body(obj))
        return getattr(obj, "__qualname__", type(obj).__qualname__)


def _class_body(cls: type) -> dict[str, str]:
    """What a class defines, by name: its functions' compiled code, its other values' digests."""
    body = {}
    for name, member in sorted(vars(cls).items()):
        function = getattr(member, "__func__", getattr(member, "fget", member))  # static, class, property
        if isinstance(getattr(function, "__code__", None), types.CodeType):
            body[name] = _code_digest(function.__code__)
        elif not (name.startswith("__") and name.endswith("__")):  # __dict__, __module__, ...
            body[name] = _digest_of(member)
    return body


def _class_code(cls: type) -> str:
    """The code of ``cls`` and of its base classes, except Python's and PyTorch's own."""
    return "".join(_source(c) for c in cls.__mro__
                   if c.__module__ not in ("builtins", "typing") and not c.__module__.startswith("torch."))


def _digest_of(value: object) -> str:
    """A short digest of a value a setting may hold (tensors by content)."""
    if isinstance(value, torch.Tensor):
        return hashlib.sha256(value.detach().cpu().contiguous().numpy().tobytes()).hexdigest()
    if isinstance(value, torch.Generator):
        return "generator " + _digest_of(value.get_state())
    if isinstance(value, Dataset):
        # Its class's code too: a subclass that batches differently serves other batches.
        code = _class_code(type(value))
        if isinstance(value, Subset):  # e.g. random_split: the indices choose the data
            return f"subset of {_digest_of(value.dataset)}: " + _digest_of(list(value.indices)) + code
        if not isinstance(value, PairDataset):  # nothing to read the data from: refuse, not share a key
            raise TypeError(f"fit(cache=...) cannot fingerprint a {type(value).__name__}: it reads the "
                            "data from the tensors of a lib.data.PairDataset (or a Subset of one); "
                            "train without cache= for other datasets")
        tensors = "".join(_digest_of(tensor) for tensor in value.tensors())
        return "dataset " + hashlib.sha256((tensors + code).encode()).hexdigest()
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
        return json.dumps([[_digest_of(tensor) for tensor in b.tensors()] for b in loader])
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
    """A callback's identity: its qualified name, code, the values it reads (closure and globals),
    its default arguments, and for a bound method (or a callable object) its object's class and
    state."""
    if function is None:
        return "none"
    if not isinstance(function, (types.FunctionType, types.MethodType, types.BuiltinFunctionType,
                                 functools.partial)) and isinstance(getattr(function, "__call__", None),
                                                                    types.MethodType):
        function = function.__call__  # an object called as evaluate(model): its __call__, bound to it
    read = {}
    described: dict[str, Any] = {"name": getattr(function, "__qualname__", repr(function))}
    code = getattr(function, "__code__", None)
    if isinstance(code, types.CodeType):
        cells = dict(zip(code.co_freevars, (c.cell_contents for c in function.__closure__ or ())))
        globals_ = getattr(function, "__globals__", {})
        for name in sorted(set(code.co_names) | set(cells)):
            if name in cells or name in globals_:
                value = cells[name] if name in cells else globals_[name]
                if not callable(value) and not isinstance(value, types.ModuleType):
                    read[name] = _digest_of(value)
        # Defaults are values the call reads as surely as a closure's (lambda m, d=test: ...).
        positional = code.co_varnames[:code.co_argcount]
        defaults = dict(zip(positional[len(positional) - len(function.__defaults__ or ()):],
                            function.__defaults__ or ()))
        defaults.update(getattr(function, "__kwdefaults__", None) or {})
        if defaults:
            described["defaults"] = {name: _keyed(value, f"whose default argument {name!r} is")
                                     for name, value in sorted(defaults.items())}
    described["code"] = _code_digest(code) if isinstance(code, types.CodeType) else _source(function)
    described["reads"] = read
    if isinstance(function, types.MethodType):  # scorer.run reads scorer's state and other methods
        bound = function.__self__
        if isinstance(bound, type):  # a classmethod: the class is its state
            described["self"] = {"class": _class_code(bound)}
            return json.dumps(described)
        state = getattr(bound, "__dict__", None)
        if state is None:
            raise TypeError(f"fit(cache=...) cannot key an evaluate bound to a {type(bound).__name__}, "
                            "which has no attributes to read its state from: pass cache=None, or a "
                            "function that takes the values it needs as default arguments")
        described["self"] = {"class": _class_code(type(bound)),
                             **{name: _keyed(value, f"bound to an object whose attribute {name!r} is")
                                for name, value in sorted(state.items())}}
    return json.dumps(described)


def _keyed(value: object, where: str) -> str:
    """A digest of a value an ``evaluate`` reads as a default argument or through its object.

    Unlike :func:`_digest_of`, it refuses what it cannot read rather than key it by its type:
    two such values would share a key, and fit would load the other's result.
    """
    if isinstance(value, (torch.Tensor, torch.Generator, Dataset)):
        return _digest_of(value)
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes, torch.device, torch.dtype,
                                           os.PathLike)):
        return repr(value)
    if isinstance(value, np.ndarray):
        return f"array {value.dtype} {value.shape} " + hashlib.sha256(value.tobytes()).hexdigest()
    if isinstance(value, Vocab):
        return "vocab " + _digest_of(value.itos)
    if isinstance(value, (list, tuple)):
        return json.dumps([_keyed(item, where) for item in value])
    if isinstance(value, (set, frozenset)):
        return json.dumps(sorted(_keyed(item, where) for item in value))
    if isinstance(value, dict) and all(isinstance(key, (str, int, float, bool)) for key in value):
        return json.dumps({repr(key): _keyed(item, where) for key, item in value.items()}, sort_keys=True)
    if isinstance(value, (types.FunctionType, types.MethodType)):
        return _describe_callable(value)
    if isinstance(value, types.ModuleType):
        return "module " + value.__name__
    if isinstance(value, type):
        return _class_code(value)
    raise TypeError(f"fit(cache=...) cannot key an evaluate {where} a {type(value).__name__}: the key reads "
                    "numbers, strings, tensors, arrays, datasets, vocabularies, functions and lists or "
                    "dicts of them; pass cache=None to train without the cache, or hand evaluate that "
                    "value's data in one of those forms")


def training_fingerprint(model: nn.Module, loader: Iterable[Any], settings: dict[str, Any],
                         evaluate: Callable[..., Any] | None, *, training_code: Iterable[object]) -> str:
    """A 16-hex-digit hash of everything a seeded training run depends on (module docstring).

    Args:
        settings: every setting of ``fit`` (JSON-able), the device type included.
        training_code: the functions of the training loop (the caller's, handed in: this module
            knows no training code), whose source is hashed.
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
