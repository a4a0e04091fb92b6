"""Training: one :func:`fit` for every chapter, devices, seeds and checkpoints.

:func:`fit` picks the device by itself (CUDA, then Apple's MPS, then the CPU), uses mixed
precision on CUDA (float16 autocast with a gradient scaler and a fused Adam, so the step does
not wait on the GPU), clips gradients, and shows a ``tqdm`` bar. The loss is summed on the
device and read back only every ``log_every`` steps: no host-device sync in the hot loop.
"""

from __future__ import annotations

import json
import math
import os
import random
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from filelock import FileLock, Timeout
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from ._fit_checks import check_batch, check_cache_name, check_metrics, check_model, check_output
from ._validate import is_number, require_int
from .data import PAD, Batch, Vocab
from .fingerprint import training_fingerprint
from .paths import writable_cache_folder

__all__ = [
    "seed_everything", "pick_device", "History", "fit", "sequence_loss", "save_checkpoint",
    "load_checkpoint", "CheckpointError",
]


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and PyTorch (every device) so that a run repeats."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds CUDA and MPS generators


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` if given, else CUDA, else MPS, else CPU."""
    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@dataclass
class History:
    """What :func:`fit` records.

    Attributes:
        step, loss, seconds: the mean training loss (per target token) over each logging window,
            the step at its end and the wall time since training began.
        evals: one dict per evaluation: ``{"step", "seconds", **metrics}``.
        tokens, device: target tokens trained on, and the device's name.
    """

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    evals: list[dict[str, float]] = field(default_factory=list)
    tokens: int = 0
    device: str = "cpu"

    @property
    def train_seconds(self) -> float:
        return self.seconds[-1] if self.seconds else 0.0

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.train_seconds if self.train_seconds else 0.0

    def first_reaching(self, metric: str, target: float) -> dict[str, float] | None:
        """The first evaluation where ``metric >= target`` (None if never)."""
        return next((e for e in self.evals if e.get(metric, float("-inf")) >= target), None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> History:
        return cls(**state)


def sequence_loss(logits: torch.Tensor, target_out: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy per target token, padding ignored.

    Args:
        logits: ``(B, L, V)``; target_out: ``(B, L)``.
    """
    if logits.shape[:2] != target_out.shape:
        raise ValueError(
            f"logits (batch, tgt_len, vocab) and targets (batch, tgt_len) disagree: logits "
            f"{tuple(logits.shape)}, targets {tuple(target_out.shape)}"
        )
    if target_out.shape[1] == 0:  # the mean over no tokens is NaN
        raise ValueError(f"the targets are empty: tgt_len is 0 in shape {tuple(target_out.shape)}; "
                         "every target needs at least <eos>")
    return F.cross_entropy(logits.flatten(0, 1).float(), target_out.flatten(), ignore_index=PAD)


def _cycle(loader: Iterable[Batch]) -> Iterable[Batch]:
    """The loader's batches, again and again; an error (not an endless loop) if it yields none."""
    while True:
        served = 0
        for batch in loader:
            served += 1
            yield batch
        if not served:
            raise ValueError(
                "the training loader yielded no batch: it is empty, drop_last=True with fewer "
                "examples than one batch, or a one-shot iterator already used up; give it more "
                "examples, a smaller batch_size, drop_last=False, or a list or DataLoader"
            )


def _check_settings(steps: int, lr: float, final_lr_fraction: float, clip: float, eval_every: int,
                    log_every: int, seed: int) -> None:
    """Refuse settings that would train forever, never clip, or diverge from the first step."""
    for name, value, least in (("steps", steps, 1), ("log_every", log_every, 1),
                               ("eval_every", eval_every, 0)):
        require_int(name, value, least, "a count of optimiser steps")
    if not is_number(lr) or not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a finite positive number, got {lr!r}")
    # Outside [0, 1] the cosine ends below zero or above lr: a negative rate climbs the loss.
    if not is_number(final_lr_fraction) or not 0 <= final_lr_fraction <= 1:  # NaN fails it too
        raise ValueError(f"final_lr_fraction must be a number in [0, 1] (the learning rate ends at "
                         f"lr * final_lr_fraction), got {final_lr_fraction!r}")
    if not is_number(clip) or not clip > 0:
        raise ValueError(f"clip (the gradient-norm limit) must be a positive number, got {clip!r}; "
                         "use float('inf') to train without clipping")
    require_int("seed", seed, 0, "it seeds Python, NumPy and PyTorch")


def fit(
    model: nn.Module,
    loader: Iterable[Batch],
    *,
    steps: int,
    lr: float = 3e-3,
    final_lr_fraction: float = 0.05,
    clip: float = 1.0,
    device: str | torch.device | None = None,
    evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
    eval_every: int = 0,
    log_every: int = 25,
    progress: bool = True,
    seed: int = 0,
    description: str = "training",
    cache: str | None = None,
) -> History:
    """Train ``model`` for ``steps`` optimiser steps with Adam and teacher forcing.

    Args:
        model: a :class:`~lib.models.Seq2Seq` (anything with ``model(source, lengths, target_in)
            -> (logits, weights)``).
        loader: yields :class:`~lib.data.Batch` es; cycled as often as ``steps`` needs.
        steps: optimiser steps (a count, not a time budget, so that runs repeat exactly).
        lr, clip: Adam's learning rate, and the gradient-norm clip.
        final_lr_fraction: the learning rate follows a cosine from ``lr`` down to
            ``lr * final_lr_fraction`` (a number in [0, 1]) at the last step, so the final weights
            do not jitter.
        device: where to train; chosen by :func:`pick_device` when None.
        evaluate: called as ``evaluate(model)`` (in eval mode, no grad) every ``eval_every``
            steps and at the end; its metrics land in ``History.evals``.
        log_every: steps between loss read-backs (each read waits for the device).
        progress: show a tqdm bar (False in tests).
        seed: seeds everything before the first step.
        cache: a name such as ``"ch07-dates"`` to keep the trained weights and history under
            :func:`lib.paths.cache_dir`. Re-running the same training (same model code and
            initial weights, data, batches, settings and ``evaluate``: see
            :mod:`lib.fingerprint`) then loads them instead of training again: training is
            seeded, so the result is the one training would give. None (the default) always
            trains. A file name, never a path (no ``/``): fit refuses ``"../x"``.

    Returns:
        the :class:`History`.
    """
    _check_settings(steps, lr, final_lr_fraction, clip, eval_every, log_every, seed)
    device = pick_device(device)
    check_model(model)
    if cache is None:
        with _denormals_flushed(device):
            return _train(model, loader, steps, lr, final_lr_fraction, clip, device, evaluate,
                          eval_every, log_every, progress, seed, description)
    settings = dict(steps=steps, lr=lr, final_lr_fraction=final_lr_fraction, clip=clip,
                    eval_every=eval_every, log_every=log_every, seed=seed, device=device.type)
    check_cache_name(cache)
    key = training_fingerprint(model, loader, settings, evaluate, (_train, sequence_loss, _cycle))
    checkpoint = writable_cache_folder("checkpoints") / f"{cache}-{key}.pt"
    # One process trains, any other that wants the same run waits and loads its result: the
    # book's chapters run side by side, and chapter 7 needs the model chapter 1 is training.
    lock = FileLock(f"{checkpoint}.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        print(f"{description}: waiting for another process that is training the same run ({checkpoint})")
        lock.acquire()
    try:
        if checkpoint.is_file():
            return _load_cached(checkpoint, model, device, description)
        with _denormals_flushed(device):
            history = _train(model, loader, steps, lr, final_lr_fraction, clip, device, evaluate,
                             eval_every, log_every, progress, seed, description)
        save_checkpoint(checkpoint, model, history=history)
        return history
    finally:
        lock.release()


def _load_cached(checkpoint: Path, model: nn.Module, device: torch.device, description: str) -> History:
    """The history (and, into ``model``, the weights) of a training ``fit`` cached before."""
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


@contextmanager
def _denormals_flushed(device: torch.device) -> Iterator[None]:
    """Flush denormal floats to zero while training on a CPU, then restore IEEE behaviour.

    As the loss nears zero, gradients and Adam's moments underflow into denormal floats, which x86
    CPUs handle in microcode: training then slows down five- to tenfold. Flushing them changes
    nothing measurable in training; outside it the process gets IEEE floats back (torch's default),
    so code run after ``fit`` (a learner's softmax of very negative scores) sees no difference.
    """
    if device.type != "cpu" or not torch.set_flush_denormal(True):  # False: this CPU cannot flush
        yield
        return
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


def _train(
    model: nn.Module, loader: Iterable[Batch], steps: int, lr: float, final_lr_fraction: float,
    clip: float, device: torch.device, evaluate: Callable[[nn.Module], dict[str, float]] | None,
    eval_every: int, log_every: int, progress: bool, seed: int, description: str,
) -> History:
    seed_everything(seed)
    model.to(device)
    use_amp = device.type == "cuda"
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, fused=use_amp or None)
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: final_lr_fraction + (
        1 - final_lr_fraction) * 0.5 * (1 + math.cos(math.pi * min(step, steps) / steps)))
    history = History(device=str(device) if device.type != "cuda" else torch.cuda.get_device_name(device))
    running_loss = torch.zeros((), device=device)
    running_tokens = torch.zeros((), device=device, dtype=torch.long)
    window = 0
    start = time.perf_counter()

    def record_evaluation(step: int) -> None:
        model.eval()
        with torch.no_grad():
            metrics = check_metrics(evaluate(model))  # type: ignore[misc]
        model.train()
        history.evals.append({"step": step, "seconds": time.perf_counter() - start, **metrics})

    model.train()
    bar = tqdm(total=steps, desc=description, disable=not progress, leave=True)
    for step, batch in enumerate(_cycle(loader), start=1):
        batch = check_batch(batch).to(device)
        with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
            logits = check_output(model(batch.source, batch.source_lengths, batch.target_in))
            loss = sequence_loss(logits, batch.target_out)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        scaler.step(optimizer)
        scaler.update()
        schedule.step()
        tokens = (batch.target_out != PAD).sum()
        running_loss += loss.detach() * tokens
        running_tokens += tokens
        window += 1
        if window == log_every or step == steps:
            total_tokens = int(running_tokens)  # the one sync per window
            window_loss = float(running_loss) / max(total_tokens, 1)
            # Checked here, where the loss is read back anyway: a check every step would make
            # the CPU wait on the GPU each step. So the error names the window, not the step.
            if not math.isfinite(window_loss):
                bar.close()
                raise FloatingPointError(
                    f"{description}: the training loss became {window_loss} in the steps "
                    f"{step - window + 1}..{step} (logged at step {step}); training diverged: "
                    f"lower the learning rate (lr={lr}) or clip (={clip}), or look for NaN/inf in "
                    "the inputs or the model's weights"
                )
            history.loss.append(window_loss)
            history.step.append(step)
            history.seconds.append(time.perf_counter() - start)
            history.tokens += total_tokens
            running_loss.zero_()
            running_tokens.zero_()
            bar.set_postfix(loss=f"{history.loss[-1]:.3f}")
            bar.update(window)
            window = 0
        if evaluate is not None and ((eval_every and step % eval_every == 0) or step == steps):
            record_evaluation(step)
            # eval_every may be shorter than log_every: no loss logged yet, then.
            shown = {"loss": f"{history.loss[-1]:.3f}"} if history.loss else {}
            bar.set_postfix(**shown, **{
                k: f"{v:.3f}" for k, v in history.evals[-1].items() if k not in ("step", "seconds")
            })
        if step == steps:
            break
    bar.close()
    model.eval()
    return history


# --------------------------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------------------------


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

