"""The notes' sentences: held-out exact match of both decoders over several seeds, and the time to train.

    python benchmarks/notes_accuracy.py [--seeds 0 1 2] [--threads 2] [--device cpu]

Trains as the page after chapter 07 does (lib.recipes.NOTES: its data, held-out pairs, sizes,
batches, steps and learning rate), with ``model_seed`` and ``loader_seed`` set to each seed, and
prints one Markdown row per (seed, model): the held-out and training exact match and the seconds
of training (evaluation not included). ``benchmarks/results/notes.md`` holds a run.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import torch

from lib.metrics import evaluate
from lib.recipes import NOTES
from lib.train import fit, pick_device


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--device", default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    train, held_out = NOTES.datasets()
    print(f"device {device} ({torch.get_num_threads()} CPU threads), {len(train)} training and "
          f"{len(held_out)} held-out sentences, {NOTES.steps} steps")
    print("| seed | model | held-out exact match | training exact match | training seconds |\n|---|---|---|---|---|")
    for seed in args.seeds:
        recipe = replace(NOTES, model_seed=seed, loader_seed=seed)
        for kind in ("attention", "fixed"):
            model = recipe.model(kind)
            history = fit(model, recipe.loader(train), recipe.training, device=device, progress=False)
            print(f"| {seed} | {kind} | {evaluate(model, held_out)['exact_match']:.1%} | "
                  f"{evaluate(model, train)['exact_match']:.1%} | {history.train_seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
