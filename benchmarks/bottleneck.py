"""Bottleneck: token accuracy by source length, fixed context vs attention, same budget.

    python benchmarks/bottleneck.py [--steps N]

Both models are chapters 01 and 07's (lib.recipes.BOTTLENECK): the same bidirectional encoder,
sizes, reversal strings, batches and steps. Prints accuracy at a few lengths and each model's
training time.
"""

from __future__ import annotations

import argparse

import torch

from lib.metrics import accuracy_by_length
from lib.recipes import BOTTLENECK
from lib.train import fit, pick_device


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=BOTTLENECK.steps)
    parser.add_argument("--device", default=None)
    args = parser.parse_args()
    device = pick_device(args.device)
    train, test = BOTTLENECK.datasets()
    print(f"device {device} ({torch.get_num_threads()} CPU threads), {args.steps} steps of {BOTTLENECK.batch_size}")
    for kind in ("fixed", "attention"):
        model = BOTTLENECK.model(kind)
        history = fit(model, BOTTLENECK.loader(train), BOTTLENECK.training, steps=args.steps, device=device,
                      progress=False)
        by_length = accuracy_by_length(model, test)
        lengths = "  ".join(f"{n}: {by_length[n]:.2f}" for n in (5, 10, 20, 30, 40, 50))
        print(f"  {kind:10} trained {history.train_seconds:5.1f} s on {history.device}; token accuracy by length  {lengths}")


if __name__ == "__main__":
    main()
