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
from lib.data import PairDataset, date_pairs, date_vocabs, make_loader, reversal_pairs, reversal_vocab
from lib.models import Encoder, Seq2Seq, build_model
from lib.train import fit, pick_device


def dataset(task: str) -> PairDataset:
    if task == "dates":
        source_vocab, target_vocab = date_vocabs()
        return PairDataset(*zip(*date_pairs(20_000, seed=0)), source_vocab, target_vocab)
    vocab = reversal_vocab()
    return PairDataset(*zip(*reversal_pairs(20_000, 5, 50, seed=0)), vocab, vocab)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", choices=("dates", "reversal"), default="dates")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--device", default=None)
    args = parser.parse_args()
    device = pick_device(args.device)
    data = dataset(args.task)
    vocab_in, vocab_out = len(data.source_vocab), len(data.target_vocab)
    models = {
        "vectorised (lib, Luong)": build_model("attention", vocab_in, vocab_out, hidden_size=args.hidden, seed=0),
        "per-step (tutorial, Bahdanau)": Seq2Seq(
            Encoder(vocab_in, 32, args.hidden), ClassicAttentionDecoder(vocab_out, 32, args.hidden)),
    }
    print(f"task {args.task}, {args.steps} steps of {args.batch_size}, hidden {args.hidden}, "
          f"device {device} ({torch.get_num_threads()} CPU threads)")
    speeds = {}
    for name, model in models.items():
        fit(model, make_loader(data, args.batch_size, seed=0), steps=5, device=device, progress=False)  # warm-up
        history = fit(model, make_loader(data, args.batch_size, seed=0), steps=args.steps,
                      device=device, progress=False)
        speeds[name] = history.tokens_per_second
        print(f"  {name:32} {history.tokens_per_second:10,.0f} tokens/s  "
              f"({history.train_seconds:.1f} s, final loss {history.loss[-1]:.3f}) on {history.device}")
    vectorised, per_step = speeds.values()
    print(f"  speed-up: {vectorised / per_step:.2f}x")


if __name__ == "__main__":
    main()
