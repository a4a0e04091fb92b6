"""The learner's kernel: runs a submission's code, and answers calls of its functions with data.

Why a kernel of its own. Learner code can change anything in the process it runs in: replace a
check (``lib.checks.check_dot_product_scores = lambda *a: print('✓')``), ``lib.checks.engine``,
``builtins.print``, ``torch.allclose``, or raise ``SystemExit``. So the learner's cells run in a
Jupyter kernel of their own (as in the notebook), and the checks run in the grading process,
which never runs learner code: a check is given a :class:`LearnerFunction`, a stand-in that sends
each call's arguments to the kernel and gets back only *data*, the function's result (tensors,
numbers, strings, tuples, lists, dicts), read with ``torch.load(weights_only=True)``, which builds
no object of the learner's choosing. Whatever the learner's code does to its own kernel, the
check that judges it is the instructor's, in a process it cannot reach from Python.

Where it runs. Each kernel starts in a fresh temporary folder, in namespaces of its own where the
machine allows it (:mod:`coursework.isolation`): it cannot signal the grader, write outside its
folder, or leave a process behind; :meth:`LearnerKernel.close` ends it with everything it
started.

Time limits. Every request to the kernel has a deadline; past it the kernel is killed (an
interrupt cannot stop every loop) and :class:`LearnerTimeout` is raised; a kernel that dies
(noticed within half a second) raises :class:`LearnerDied`. Both derive from BaseException, so that a check's ``except
Exception`` (which turns a learner's error into advice) lets them through to the grader.
"""

from __future__ import annotations

import queue
import shutil
import subprocess
import tempfile
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from jupyter_client import KernelManager
from torch import nn

from lib.checks.manner import Rules, Seen

from .isolation import kernel_environment, kernel_prefix

__all__ = ["LearnerTimeout", "LearnerDied", "CellRun", "LearnerKernel", "LearnerFunction"]

#: The largest result file read back from the kernel (bytes): a check's results are small.
MAX_RESULT_BYTES = 256 * 2**20

_TYPE = "__coursework_type__"
_MODULE = "__coursework_module__"

#: The modules a check may hand to a learner's function, sent as (class, constructor arguments,
#: weights): ``torch.load(weights_only=True)`` builds no module, so the kernel builds its own.
_MODULE_ARGUMENTS = {
    nn.GRUCell: lambda m: {"input_size": m.input_size, "hidden_size": m.hidden_size, "bias": m.bias},
    nn.LSTMCell: lambda m: {"input_size": m.input_size, "hidden_size": m.hidden_size, "bias": m.bias},
    nn.RNNCell: lambda m: {"input_size": m.input_size, "hidden_size": m.hidden_size, "bias": m.bias,
                           "nonlinearity": m.nonlinearity},
    nn.Linear: lambda m: {"in_features": m.in_features, "out_features": m.out_features, "bias": m.bias is not None},
    nn.Embedding: lambda m: {"num_embeddings": m.num_embeddings, "embedding_dim": m.embedding_dim,
                             "padding_idx": m.padding_idx},
}

# Defined in the kernel after the learner's cells ran (so that they cannot have replaced it; if
# learner code replaces it later, it can only change what the learner's function returns).
_HELPERS = f'''
def __coursework_encode__(value):
    import torch
    if value is None or isinstance(value, (bool, int, float, complex, str)):
        return value
    if isinstance(value, torch.Tensor):
        return value.as_subclass(torch.Tensor)
    if isinstance(value, (tuple, list)):
        return (tuple if isinstance(value, tuple) else list)(__coursework_encode__(v) for v in value)
    if isinstance(value, dict) and all(isinstance(k, (str, int)) for k in value):
        return {{k: __coursework_encode__(v) for k, v in value.items()}}
    return {{{_TYPE!r}: type(value).__name__}}


def __coursework_module__(value):
    import torch
    if isinstance(value, dict) and set(value) == {{{_MODULE!r}, "arguments", "weights"}}:
        module = getattr(torch.nn, value[{_MODULE!r}])(**value["arguments"])
        module.load_state_dict(value["weights"])
        return module
    if isinstance(value, (tuple, list)):
        return type(value)(__coursework_module__(v) for v in value)
    if isinstance(value, dict):
        return {{k: __coursework_module__(v) for k, v in value.items()}}
    return value


def __coursework_rules__(rules):
    import importlib
    from lib.checks.manner import Rules
    answers = []
    for module, qualname in rules["answers"]:
        found = importlib.import_module(module)
        for part in qualname.split(".") if qualname else []:
            found = getattr(found, part)
        answers.append(found)
    return Rules(answers=tuple(answers), no_autograd="yes" if rules["no_autograd"] else "",
                 no_loop="yes" if rules["no_loop"] else "")


def __coursework_call__(name, inputs_path, output_path, rules=None):
    import torch
    inputs = __coursework_module__(torch.load(inputs_path, weights_only=True))
    try:
        from lib.checks.manner import watching  # without rules it traces nothing
        function = globals()[name]
        with watching(None if rules is None else __coursework_rules__(rules)) as watched:
            returned = function(*inputs["args"], **inputs["kwargs"])
        seen = {{"answer": watched.answer, "autograd": watched.autograd,
                "loop": list(watched.loop) if watched.loop else None}}
        answer = {{"returned": __coursework_encode__(returned), "inputs": __coursework_encode__(inputs),
                  "seen": seen}}
    except BaseException as error:  # SystemExit and KeyboardInterrupt are the learner's too
        answer = {{"raised": [type(error).__name__, str(error)[:2000]]}}
    try:
        torch.save(answer, output_path)
    except BaseException as error:
        torch.save({{"raised": [type(error).__name__, f"its result cannot be sent back: {{error}}"[:2000]]}},
                   output_path)


def __coursework_lookup__(names, output_path):
    import torch
    found = {{}}
    for name in names:
        if name not in globals():
            found[name] = ["missing", None]
        elif callable(globals()[name]):
            found[name] = ["callable", None]
        else:
            found[name] = ["value", __coursework_encode__(globals()[name])]
    torch.save(found, output_path)
'''


class LearnerTimeout(BaseException):
    """The learner's code ran past its time limit; its kernel was killed."""


class LearnerDied(BaseException):
    """The learner's kernel died (``os._exit``, a crash, memory)."""


@dataclass(frozen=True)
class CellRun:
    """How one of the learner's cells ran: ``status`` "ok", "error" or "timeout"."""

    index: int
    status: str
    message: str = ""


def _encode_modules(value: object) -> object:
    """``value`` with each module a check hands over (:data:`_MODULE_ARGUMENTS`) as data."""
    if isinstance(value, nn.Module):
        arguments = _MODULE_ARGUMENTS.get(type(value))
        if arguments is None:
            raise TypeError(f"a check can hand the learner's function a module of "
                            f"{sorted(c.__name__ for c in _MODULE_ARGUMENTS)}, not a {type(value).__name__}: "
                            "add it to coursework.sandbox._MODULE_ARGUMENTS")
        return {_MODULE: type(value).__name__, "arguments": arguments(value),
                "weights": {k: v.detach().clone() for k, v in value.state_dict().items()}}
    if isinstance(value, (tuple, list)):
        return type(value)(_encode_modules(v) for v in value)
    if isinstance(value, dict):
        return {k: _encode_modules(v) for k, v in value.items()}
    return value


def _decode(value: object) -> object:
    """The kernel's data as the check sees it; a type it could not send becomes an empty object
    of a class with its name, so that a check says "returned ndarray"."""
    if isinstance(value, dict) and set(value) == {_TYPE}:
        return type(str(value[_TYPE]), (), {"__repr__": lambda self: f"<{type(self).__name__}>"})()
    if isinstance(value, (tuple, list)):
        return type(value)(_decode(v) for v in value)
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    return value


class _IsolatedKernelManager(KernelManager):
    """A kernel manager whose kernel starts behind ``prefix`` (:func:`coursework.isolation.kernel_prefix`)."""

    prefix: list[str] = []

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        return [*self.prefix, *super().format_kernel_cmd(extra_arguments)]


class LearnerKernel:
    """A Jupyter kernel that runs ``cells`` (the learner's code), then answers calls.

    It works in a fresh temporary folder, removed on :meth:`close`, isolated from the machine
    where :mod:`coursework.isolation` can (``hidden``: files it must not see, such as the other
    submissions of the batch). The cells whose index is in ``limited`` (default: all) have
    ``cell_timeout`` seconds each; the others (the instructor's imports) only the submission's
    ``deadline``.

    Use as a context manager; :meth:`close` kills it and everything it started. After a timeout or
    death, :meth:`revive` starts a new kernel and runs again the cells that ran without trouble
    the first time.
    """

    def __init__(self, cells: list[str], *, cell_timeout: float, deadline: float,
                 limited: set[int] | None = None, hidden: list[Path] = ()) -> None:
        self.cells, self.cell_timeout, self.deadline = cells, cell_timeout, deadline
        self.limited = set(range(len(cells))) if limited is None else limited  # cells under cell_timeout
        self.hidden = list(hidden)
        self.runs: list[CellRun] = []
        self.alive = False
        self._manager: KernelManager | None = None
        self._client = None
        self.folder = Path(tempfile.mkdtemp(prefix="coursework-grade-"))
        self._calls = 0

    def __enter__(self) -> "LearnerKernel":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # --- the kernel's life ----------

    def _start(self) -> None:
        manager = _IsolatedKernelManager(kernel_name="python3", connection_file=str(self.folder / "kernel.json"))
        manager.prefix = kernel_prefix(self.folder, self.hidden)
        self._manager = manager
        manager.start_kernel(cwd=str(self.folder), env=kernel_environment(self.folder),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._client = manager.client()
        self._client.start_channels()
        self._client.wait_for_ready(timeout=max(1.0, min(120.0, self.deadline - time.monotonic())))
        self.alive = True

    def close(self) -> None:
        """Kill the kernel: in a namespace (:mod:`coursework.isolation`), its first process, and
        with it every process the submission started."""
        if self._client is not None:
            self._client.stop_channels()
        if self._manager is not None and self._manager.has_kernel:
            self._manager.shutdown_kernel(now=True)
        self._manager = self._client = None
        self.alive = False

    def _execute(self, code: str, limit: float) -> dict:
        """Run ``code``; its reply's content. Past ``limit`` seconds (or the submission's
        deadline) the kernel is killed and :class:`LearnerTimeout` raised."""
        planned, limit = limit, min(limit, self.deadline - time.monotonic())
        if limit <= 0:
            self.close()
            raise LearnerTimeout("the submission's time limit" if planned > 0 else "the check's time limit")
        # stop_on_error=False: after a cell that raised, ipykernel otherwise aborts the requests that
        # reach it before it has reset its abort flag; it sends the error's reply first, so under load the
        # next cell (the learner's next solution) could come back "aborted" without having run.
        asked = self._client.execute(code, store_history=False, allow_stdin=False, stop_on_error=False)
        ends = time.monotonic() + limit
        while True:  # wait for the reply, looking every half second whether the kernel still lives
            try:
                reply = self._client.get_shell_msg(timeout=max(0.0, min(0.5, ends - time.monotonic())))
            except queue.Empty:
                if not self._manager.is_alive():
                    self.close()
                    raise LearnerDied("it exited or crashed") from None
                if time.monotonic() >= ends:
                    self.close()
                    raise LearnerTimeout(f"{limit:.0f} s") from None
                continue
            if reply["parent_header"].get("msg_id") == asked:
                break
        while True:  # outputs are not used: drop them, so that they do not pile up
            try:
                self._client.get_iopub_msg(timeout=0)
            except queue.Empty:
                break
        return reply["content"]

    def run(self) -> list[CellRun]:
        """Start the kernel and run every cell, each within the cell time limit; a cell that runs
        past it is recorded, the kernel restarted, and the next cells run."""
        self._start()
        for index, code in enumerate(self.cells):
            self.runs.append(self._run_cell(index, code))
        return self.runs

    def _run_cell(self, index: int, code: str) -> CellRun:
        if not self.alive:
            self.revive()
        try:
            content = self._execute(code, self._limit(index))
        except LearnerTimeout:
            if self.deadline - time.monotonic() <= 0:
                raise
            return CellRun(index, "timeout", f"ran past the {self.cell_timeout:g} s limit for a cell")
        except LearnerDied:
            return CellRun(index, "error", "the kernel died while this cell ran")
        if content.get("status") == "error":
            return CellRun(index, "error", f"{content.get('ename')}: {content.get('evalue')}")
        if content.get("status") != "ok":  # "aborted": the kernel did not run it
            return CellRun(index, "error", f"the kernel did not run it (its reply: {content.get('status')})")
        return CellRun(index, "ok")

    def revive(self) -> None:
        """A new kernel, with the cells that ran without trouble run again.

        A cell that ran, then kills or hangs the new kernel (its reply can come before its own
        kill lands, so it was recorded "ok") is recorded as failing, and the kernel is started
        again without it. Raises :class:`LearnerTimeout` past the submission's deadline.
        """
        while True:
            self.close()
            self._start()
            position = None
            try:
                for position, run in enumerate(self.runs):
                    if run.status == "ok":
                        self._execute(self.cells[run.index], self._limit(run.index))
                return
            except LearnerDied:
                self.runs[position] = CellRun(self.runs[position].index, "error",
                                              "the kernel died when this cell ran again")
            except LearnerTimeout:
                if self.deadline - time.monotonic() <= 0:
                    raise
                self.runs[position] = CellRun(self.runs[position].index, "timeout",
                                              f"ran past the {self.cell_timeout:g} s limit for a cell when run again")

    def _limit(self, index: int) -> float:
        return self.cell_timeout if index in self.limited else float("inf")

    # --- asking the kernel ----------

    def _file(self, stem: str) -> Path:
        self._calls += 1
        return self.folder / f"{stem}-{self._calls}.pt"

    def _answer(self, path: Path) -> object:
        if not path.exists():
            raise LearnerDied("the kernel wrote no answer")
        if path.stat().st_size > MAX_RESULT_BYTES:
            raise ValueError(f"the result is over {MAX_RESULT_BYTES // 2**20} MiB")
        return torch.load(path, weights_only=True)

    def lookup(self, names: list[str]) -> dict[str, tuple[str, object]]:
        """For each name: ("missing", None), ("callable", None) or ("value", the data)."""
        if not self.alive:
            self.revive()
        out = self._file("lookup")
        self._execute(_HELPERS + f"\n__coursework_lookup__({names!r}, {str(out)!r})", self.cell_timeout)
        found = self._answer(out)
        return {name: (str(found[name][0]), _decode(found[name][1])) for name in names}

    def call(self, name: str, args: tuple, kwargs: dict[str, object], deadline: float,
             rules: dict[str, object] | None = None, seen: dict[str, object] | None = None) -> object:
        """``name(*args, **kwargs)`` in the kernel: its result as data, or its exception raised here.

        With ``rules`` (:func:`rules_for_kernel`), the call is traced in the kernel by
        :func:`lib.checks.manner.watching`, and what it saw is put in ``seen``.
        """
        if not self.alive:
            self.revive()
        sent, out = self._file("inputs"), self._file("answer")
        inputs = {"args": list(args), "kwargs": kwargs}
        torch.save(_encode_modules(inputs), sent)
        self._execute(_HELPERS + f"\n__coursework_call__({name!r}, {str(sent)!r}, {str(out)!r}, {rules!r})",
                      deadline - time.monotonic())
        answer = self._answer(out)
        if seen is not None:
            seen.update(answer.get("seen", {}))
        if "raised" in answer:
            kind, message = (str(part) for part in answer["raised"])
            raise NotImplementedError(message) if kind == "NotImplementedError" else \
                type(kind, (Exception,), {"__module__": "learner"})(message)
        returned = answer.get("inputs", {})
        pairs = [*zip(args, returned.get("args", [])),
                 *((inputs["kwargs"][k], v) for k, v in returned.get("kwargs", {}).items() if k in kwargs)]
        for before, after in pairs:  # the learner's in-place changes, for the check to see
            if isinstance(before, torch.Tensor) and isinstance(after, torch.Tensor) and not (
                    before.shape == after.shape and torch.equal(before, after.to(before.dtype))):
                with torch.no_grad():
                    before.set_(after.to(before.dtype).clone())
        return _decode(answer["returned"])


def rules_for_kernel(rules: Rules) -> dict[str, object]:
    """``rules`` as data the kernel can rebuild: each answer as (module, qualified name)."""
    answers = []
    for answer in rules.answers:
        if isinstance(answer, types.ModuleType):
            answers.append((answer.__name__, ""))
        elif "<locals>" in getattr(answer, "__qualname__", "<locals>"):
            raise ValueError(f"a check's rules name {answer!r}, which the grader's kernel cannot import: "
                             "name a module-level function, class or module of lib")
        else:
            answers.append((answer.__module__, answer.__qualname__))
    return {"answers": answers, "no_autograd": bool(rules.no_autograd), "no_loop": bool(rules.no_loop)}


class LearnerFunction:
    """What a check is given in place of the learner's function: calls go to the kernel."""

    #: The learner's code runs in the kernel, not here: :meth:`watching` traces it there.
    runs_elsewhere = True

    def __init__(self, kernel: LearnerKernel, name: str, deadline: float) -> None:
        self.kernel, self.__name__, self.deadline = kernel, name, deadline
        self._rules: dict[str, object] | None = None
        self._seen = Seen()

    @contextmanager
    def watching(self, rules: Rules | None) -> Iterator[Seen]:
        """:func:`lib.checks.manner.watching` for calls made in the body, traced in the kernel."""
        self._rules = None if rules is None else rules_for_kernel(rules)
        self._seen = Seen()
        try:
            yield self._seen
        finally:
            self._rules = None

    def __call__(self, *args: object, **kwargs: object) -> object:
        seen: dict[str, object] = {}
        returned = self.kernel.call(self.__name__, args, kwargs, self.deadline, self._rules, seen)
        if seen.get("answer") and not self._seen.answer:
            self._seen.answer = str(seen["answer"])
        if seen.get("autograd") and not self._seen.autograd:
            self._seen.autograd = str(seen["autograd"])
        if seen.get("loop") and not self._seen.loop:
            line, text, runs = seen["loop"]  # type: ignore[misc]
            self._seen.loop = (int(line), str(text), int(runs))
        return returned

    def __repr__(self) -> str:
        return f"<the learner's {self.__name__}>"
