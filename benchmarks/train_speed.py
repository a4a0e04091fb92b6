"""Training speed: lib's vectorised Luong decoder against the classic per-step decoder.

Same encoder, hidden size, data, batch size and optimiser; only the decoder differs. Prints
training target tokens per second for each, and the ratio, on the device found (or --device).

    python benchmarks/train_speed.py                 # dates task, 150 steps each
    python benchmarks/train_speed.py --task reversal # long targets: the loop costs more
"""

from __future__ import annotations

import argparse

import torch

from classic_decoder import ClassicAttentionDecoder
from lib.data import make_loader
from lib.models import Encoder, Seq2Seq, build_model
from lib.recipes import BOTTLENECK, DATES
from lib.train import fit, pick_device

RECIPES = {"dates": DATES, "reversal": BOTTLENECK}  # chapters 07/08's and chapters 01/07's training data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=("dates", "reversal"), default="dates")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=DATES.batch_size)
    parser.add_argument("--hidden", type=int, default=DATES.hidden_size)
    parser.add_argument("--device", default=None)
    args = parser.parse_args()
    device = pick_device(args.device)
    recipe = RECIPES[args.task]
    data, _ = recipe.datasets()
    vocab_in, vocab_out = len(data.source_vocab), len(data.target_vocab)
    embed = recipe.embed_size
    models = {
        "vectorised (lib, Luong)": build_model("attention", vocab_in, vocab_out, embed_size=embed,
                                               hidden_size=args.hidden, seed=recipe.model_seed),
        "per-step (tutorial, Bahdanau)": Seq2Seq(
            Encoder(vocab_in, embed, args.hidden), ClassicAttentionDecoder(vocab_out, embed, args.hidden)),
    }
    print(f"task {args.task}, {args.steps} steps of {args.batch_size}, hidden {args.hidden}, "
          f"device {device} ({torch.get_num_threads()} CPU threads)")
    speeds = {}
    for name, model in models.items():
        loader = make_loader(data, args.batch_size, seed=recipe.loader_seed)
        fit(model, loader, recipe.training, steps=5, device=device, progress=False)  # warm-up
        history = fit(model, make_loader(data, args.batch_size, seed=recipe.loader_seed), recipe.training,
                      steps=args.steps, device=device, progress=False)
        speeds[name] = history.tokens_per_second
        print(f"  {name:32} {history.tokens_per_second:10,.0f} tokens/s  "
              f"({history.train_seconds:.1f} s, final loss {history.loss[-1]:.3f}) on {history.device}")
    vectorised, per_step = speeds.values()
    print(f"  speed-up: {vectorised / per_step:.2f}x")


if __name__ == "__main__":
    main()
