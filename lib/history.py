"""What a training run records: :class:`History`, the loss and evaluations of :func:`lib.train.fit`.

It sits in a module of its own, below both :mod:`lib.train` (which fills it) and
:mod:`lib.checkpoints` (which saves and loads it with the weights), so that the training cache
(:mod:`lib.training_cache`), which :func:`~lib.train.fit` calls, can read a saved history without
importing the training loop back. :mod:`lib.train` re-exports it: ``lib.train.History`` stays
the name chapters use.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["History"]


@dataclass
class History:
    """What :func:`~lib.train.fit` records.

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
