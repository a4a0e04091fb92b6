"""Bottleneck: token accuracy by source length, fixed context vs attention, same budget.

    python benchmarks/bottleneck.py [--steps 600]

Both models: the same bidirectional encoder, hidden size 128, 20,000 reversal strings of length
5-50, batch 64, the same steps. Prints accuracy at a few lengths and each model's training time.
"""

from __future__ import annotations

import argparse

import torch

from lib.data import PairDataset, make_loader, reversal_pairs, reversal_vocab
from lib.metrics import accuracy_by_length
from lib.models import build_model
from lib.train import fit, pick_device


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--device", default=None)
    args = parser.parse_args()
    device = pick_device(args.device)
    vocab = reversal_vocab()
    train = PairDataset(*zip(*reversal_pairs(20_000, 5, 50, seed=0)), vocab, vocab)
    test = PairDataset(*zip(*[p for n in range(5, 51) for p in reversal_pairs(20, n, n, seed=1000 + n)]), vocab, vocab)
    print(f"device {device} ({torch.get_num_threads()} CPU threads), {args.steps} steps of 64")
    for kind in ("fixed", "attention"):
        model = build_model(kind, len(vocab), len(vocab), hidden_size=128, seed=0)
        history = fit(model, make_loader(train, 64, seed=0), steps=args.steps, device=device, progress=False)
        by_length = accuracy_by_length(model, test)
        lengths = "  ".join(f"{n}: {by_length[n]:.2f}" for n in (5, 10, 20, 30, 40, 50))
        print(f"  {kind:10} trained {history.train_seconds:5.1f} s on {history.device}; token accuracy by length  {lengths}")


if __name__ == "__main__":
    main()
