"""Training: one :func:`fit` for every chapter, with its settings, seeds, devices and loss.

:func:`fit` picks the device by itself (CUDA, then Apple's MPS, then the CPU), uses mixed
precision on CUDA (float16 autocast with a gradient scaler and a fused Adam, so the step does
not wait on the GPU), clips gradients, and shows a ``tqdm`` bar. The loss is summed on the
device and read back only every ``log_every`` steps: no host-device sync in the hot loop. Its
settings are one :class:`TrainingSettings`, which a recipe (:mod:`lib.recipes`) hands over as
``recipe.training``; with ``cache=`` it goes through :mod:`lib.training_cache`.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from ._fit_checks import check_batch, check_metrics, check_model, check_output
from ._validate import is_number, require_int
from .data import PAD, Batch
from .history import History
from .training_cache import load_or_train

# History lives in lib.history (the training cache reads a saved one without importing the loop);
# it is named here too, where the chapters import it from.
__all__ = ["seed_everything", "pick_device", "History", "TrainingSettings", "fit", "sequence_loss"]

Evaluate = Callable[[nn.Module], dict[str, float]]


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


@dataclass(frozen=True)
class TrainingSettings:
    """How :func:`fit` trains: every number of the optimiser's run, checked when made.

    Attributes:
        steps: optimiser steps (a count, not a time budget, so that runs repeat exactly).
        lr, clip: Adam's learning rate, and the gradient-norm clip (``inf``: none).
        final_lr_fraction: the learning rate follows a cosine from ``lr`` down to
            ``lr * final_lr_fraction`` (a number in [0, 1]) at the last step, so the final weights
            do not jitter.
        warmup_steps: the learning rate first rises linearly from ``lr / warmup_steps`` to ``lr``
            over this many steps, then follows the cosine over the rest (0: no warm-up); the
            Transformer's usual schedule (Vaswani et al., 2017).
        eval_every: steps between calls of ``fit``'s ``evaluate`` (0: only at the end).
        log_every: steps between loss read-backs (each read waits for the device).
        seed: seeds everything before the first step.
    """

    steps: int
    lr: float = 3e-3
    final_lr_fraction: float = 0.05
    warmup_steps: int = 0
    clip: float = 1.0
    eval_every: int = 0
    log_every: int = 25
    seed: int = 0

    def __post_init__(self) -> None:
        """Refuse settings that would train forever, never clip, or diverge from the first step."""
        for name, least in (("steps", 1), ("log_every", 1), ("eval_every", 0), ("warmup_steps", 0)):
            # As a Python int: a NumPy count works like one, but the cache's key (JSON) refuses it.
            object.__setattr__(self, name, require_int(name, getattr(self, name), least, "a count of optimiser steps"))
        if self.warmup_steps >= self.steps:
            raise ValueError(f"warmup_steps must be fewer than steps (the warm-up is the start of the run), "
                             f"got warmup_steps={self.warmup_steps}, steps={self.steps}")
        lr, final_lr_fraction, clip = self.lr, self.final_lr_fraction, self.clip
        if not is_number(lr) or not math.isfinite(lr) or lr <= 0:
            raise ValueError(f"lr must be a finite positive number, got {lr!r}")
        # Outside [0, 1] the cosine ends below zero or above lr: a negative rate climbs the loss.
        if not is_number(final_lr_fraction) or not 0 <= final_lr_fraction <= 1:  # NaN fails it too
            raise ValueError(f"final_lr_fraction must be a number in [0, 1] (the learning rate ends at "
                             f"lr * final_lr_fraction), got {final_lr_fraction!r}")
        if not is_number(clip) or not clip > 0:
            raise ValueError(f"clip (the gradient-norm limit) must be a positive number, got {clip!r}; "
                             "use float('inf') to train without clipping")
        object.__setattr__(self, "seed", require_int("seed", self.seed, 0, "it seeds Python, NumPy and PyTorch"))


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


def fit(
    model: nn.Module,
    loader: Iterable[Batch],
    training: TrainingSettings | None = None,
    *,
    steps: int | None = None,
    lr: float | None = None,
    final_lr_fraction: float | None = None,
    warmup_steps: int | None = None,
    clip: float | None = None,
    eval_every: int | None = None,
    log_every: int | None = None,
    seed: int | None = None,
    device: str | torch.device | None = None,
    evaluate: Evaluate | None = None,
    progress: bool = True,
    description: str = "training",
    cache: str | None = None,
) -> History:
    """Train ``model`` with Adam and teacher forcing, as ``training`` (or the keywords) say.

    Args:
        model: a :class:`~lib.models.Seq2Seq` (anything with ``model(source, lengths, target_in)
            -> (logits, weights)``).
        loader: yields :class:`~lib.data.Batch` es; cycled as often as the steps need.
        training: the settings, e.g. a recipe's ``DATES.training``; None: :class:`TrainingSettings`
            of the keywords, which need ``steps``.
        steps, lr, final_lr_fraction, warmup_steps, clip, eval_every, log_every, seed: the fields of
            :class:`TrainingSettings`; each one given replaces ``training``'s.
        device: where to train; chosen by :func:`pick_device` when None.
        evaluate: called as ``evaluate(model)`` (in eval mode, no grad) every ``eval_every``
            steps and at the end; its metrics land in ``History.evals``.
        progress: show a tqdm bar (False in tests); description: names the run.
        cache: a name such as ``DATES.cache`` to keep the trained weights and history under
            :func:`lib.paths.cache_dir`. Re-running the same training then loads them instead of
            training again (:mod:`lib.training_cache`): training is seeded, so the result is the
            one training would give. None (the default) always trains. A file name, never a path.

    Returns:
        the :class:`History`.
    """
    given = dict(steps=steps, lr=lr, final_lr_fraction=final_lr_fraction, warmup_steps=warmup_steps, clip=clip,
                 eval_every=eval_every, log_every=log_every, seed=seed)
    settings = _settings(training, {name: value for name, value in given.items() if value is not None})
    device = pick_device(device)
    check_model(model)

    def train() -> History:
        with _denormals_flushed(device):
            return _train(model, loader, settings, device=device, evaluate=evaluate, progress=progress,
                          description=description)

    if cache is None:
        return train()
    return load_or_train(cache, model, loader, {**asdict(settings), "device": device.type},
                         evaluate=evaluate, train=train, training_code=(_train, _lr_factor, _step, sequence_loss, _cycle),
                         device=device, description=description)


def _settings(training: TrainingSettings | None, given: dict[str, float]) -> TrainingSettings:
    """``training`` with the settings ``given`` as keywords in place of its own."""
    if training is None:
        if "steps" not in given:
            raise TypeError("fit needs the training settings: steps= (a count of optimiser steps), or a "
                            "recipe's settings such as fit(model, loader, DATES.training)")
        return TrainingSettings(**given)  # type: ignore[arg-type]
    if not isinstance(training, TrainingSettings):
        raise TypeError(f"fit's third argument is the training settings, a lib.train.TrainingSettings "
                        f"such as DATES.training, got a {type(training).__name__}")
    return replace(training, **given)


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


def _lr_factor(settings: TrainingSettings, step: int) -> float:
    """The factor of ``settings.lr`` that optimiser step ``step + 1`` uses: the warm-up, then the cosine."""
    steps, end, warmup = settings.steps, settings.final_lr_fraction, settings.warmup_steps
    if step < warmup:
        return (step + 1) / warmup
    return end + (1 - end) * 0.5 * (1 + math.cos(math.pi * min(step - warmup, steps - warmup) / (steps - warmup)))


def _train(
    model: nn.Module, loader: Iterable[Batch], settings: TrainingSettings, *, device: torch.device,
    evaluate: Evaluate | None, progress: bool, description: str,
) -> History:
    """Train ``model`` on ``device`` as ``settings`` say; the loop of :func:`fit`."""
    seed_everything(settings.seed)
    model.to(device)
    steps, use_amp = settings.steps, device.type == "cuda"
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr, fused=use_amp or None)
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: _lr_factor(settings, step))
    history = History(device=str(device) if device.type != "cuda" else torch.cuda.get_device_name(device))
    running_loss = torch.zeros((), device=device)
    running_tokens = torch.zeros((), device=device, dtype=torch.long)
    window = 0
    start = time.perf_counter()
    model.train()
    bar = tqdm(total=steps, desc=description, disable=not progress, leave=True)
    for step, batch in enumerate(_cycle(loader), start=1):
        batch = check_batch(batch).to(device)
        loss = _step(model, batch, optimizer, scaler, settings.clip, use_amp)
        schedule.step()
        tokens = (batch.target_out != PAD).sum()
        running_loss += loss.detach() * tokens
        running_tokens += tokens
        window += 1
        if window == settings.log_every or step == steps:
            total_tokens = int(running_tokens)  # the one sync per window
            window_loss = float(running_loss) / max(total_tokens, 1)
            # Checked here, where the loss is read back anyway: a check every step would make
            # the CPU wait on the GPU each step. So the error names the window, not the step.
            if not math.isfinite(window_loss):
                bar.close()
                raise FloatingPointError(
                    f"{description}: the training loss became {window_loss} in the steps "
                    f"{step - window + 1}..{step} (logged at step {step}); training diverged: "
                    f"lower the learning rate (lr={settings.lr}) or clip (={settings.clip}), or look "
                    "for NaN/inf in the inputs or the model's weights"
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
        if evaluate is not None and ((settings.eval_every and step % settings.eval_every == 0) or step == steps):
            _record_evaluation(model, evaluate, history, step, start, bar)
        if step == steps:
            break
    bar.close()
    model.eval()
    return history


def _step(model: nn.Module, batch: Batch, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler,
          clip: float, use_amp: bool) -> torch.Tensor:
    """One optimiser step on ``batch`` (float16 autocast on CUDA); the batch's loss, on the device."""
    with torch.autocast(batch.source.device.type, dtype=torch.float16, enabled=use_amp):
        logits = check_output(model(batch.source, batch.source_lengths, batch.target_in))
        loss = sequence_loss(logits, batch.target_out)
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    nn.utils.clip_grad_norm_(model.parameters(), clip)
    scaler.step(optimizer)
    scaler.update()
    return loss


def _record_evaluation(model: nn.Module, evaluate: Evaluate, history: History, step: int, start: float,
                       bar: tqdm) -> None:
    """``evaluate(model)`` in eval mode without grad, into ``history.evals`` (its seconds counted
    from ``start`` to the evaluation's end) and the bar."""
    model.eval()
    with torch.no_grad():
        metrics = check_metrics(evaluate(model))
    model.train()
    history.evals.append({"step": step, "seconds": time.perf_counter() - start, **metrics})
    # eval_every may be shorter than log_every: no loss logged yet, then.
    shown = {"loss": f"{history.loss[-1]:.3f}"} if history.loss else {}
    bar.set_postfix(**shown, **{k: f"{v:.3f}" for k, v in metrics.items()})
