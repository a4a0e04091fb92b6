"""Dates: held-out exact match of the attention model, and the wall time to reach it.

    python benchmarks/dates_accuracy.py [--steps N] [--target 0.995] [--score dot]

Trains as chapter 07 does (lib.recipes.DATES: its data, sizes, seeds, batches, steps and
learning rate), evaluates on its held-out dates every --eval-every steps, and prints when
--target was first reached. Evaluation time is included in the wall time.
"""

from __future__ import annotations

import argparse

import torch

from lib.attention import SCORES
from lib.metrics import evaluate
from lib.recipes import DATES
from lib.train import fit, pick_device


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=DATES.steps)
    parser.add_argument("--eval-every", type=int, default=25)
    parser.add_argument("--target", type=float, default=0.995)
    parser.add_argument("--score", default="dot", choices=tuple(SCORES))
    parser.add_argument("--device", default=None)
    args = parser.parse_args()
    device = pick_device(args.device)
    train, test = DATES.datasets()
    model = DATES.model(score=args.score)
    history = fit(model, DATES.loader(train), DATES.training, steps=args.steps, device=device, progress=False,
                  evaluate=lambda m: evaluate(m, test), eval_every=args.eval_every)
    print(f"device {history.device} ({torch.get_num_threads()} CPU threads), score {args.score}")
    for record in history.evals:
        print(f"  step {record['step']:4}  {record['seconds']:6.1f} s  exact match {record['exact_match']:.2%}")
    reached = history.first_reaching("exact_match", args.target)
    if reached:
        print(f"reached {args.target:.1%} exact match on {len(test):,} held-out dates after "
              f"{reached['step']} steps, {reached['seconds']:.1f} s of training")
    else:
        print(f"did not reach {args.target:.1%} in {args.steps} steps")
    print(f"final: {history.evals[-1]['exact_match']:.2%} after {history.train_seconds:.1f} s, "
          f"{history.tokens_per_second:,.0f} tokens/s")


if __name__ == "__main__":
    main()
