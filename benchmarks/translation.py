"""Translation quality and training time on Tatoeba, for both models and both language pairs.

For each language pair and model (fixed context, attention) this trains with the plan of chapter 09
(:func:`lib.translation.plan_training`: sizes from the data and the device), then prints test BLEU
and chrF (sacrebleu, detokenised text) with greedy decoding and with beam search, the training time
and the device. Not a test: run it by hand, e.g.

    ATTENTION_COURSE_TATOEBA_MIRROR=../shared/data/tatoeba python benchmarks/translation.py
    python benchmarks/translation.py --mirror ../shared/data/tatoeba --pairs kor-eng --steps 300
    python benchmarks/translation.py            # no mirror: downloads the full corpus (GPU advised)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

import torch

from lib.tatoeba import ATTRIBUTION, MIRROR_ENV, PAIRS, load_splits
from lib.train import pick_device
from lib.translation import evaluate_split, markdown_table, plan_training, prepare, restrict_length, train_model


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", nargs="+", default=sorted(PAIRS), choices=sorted(PAIRS),
                        help="language pairs (default: all)")
    parser.add_argument("--steps", type=int, default=None,
                        help="training steps per model (default: the plan's, from the data and device)")
    parser.add_argument("--mirror", default=None,
                        help=f"a folder laid out like shared/data/tatoeba (default: ${MIRROR_ENV}, else download)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights and the batches")
    parser.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads for torch (default 1, as in chapter 09; 0 = torch's default)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    mirror = args.mirror or os.environ.get(MIRROR_ENV)
    print(ATTRIBUTION)
    print(f"data: {mirror or 'downloaded full corpus'}; device: {device}; torch threads: {torch.get_num_threads()}")

    rows, signatures = [], None
    for pair in args.pairs:
        splits = load_splits(pair, mirror=mirror)
        plan = plan_training(splits, device)
        if args.steps is not None:
            plan = dataclasses.replace(plan, steps=args.steps)
        data = prepare(restrict_length(splits, plan.max_len), plan.min_count)
        print(f"\n{pair} ({splits.source_lang}->{splits.target_lang}): {plan}; "
              f"{len(data.train)}/{len(data.validation)}/{len(data.test)} pairs")
        for kind in ("fixed", "attention"):
            start = time.perf_counter()
            model, history = train_model(kind, data, plan, seed=args.seed, device=device, progress=False)
            seconds = time.perf_counter() - start
            greedy = evaluate_split(model, data, "test")
            beam = evaluate_split(model, data, "test", beam_size=plan.beam_size, length_penalty=plan.length_penalty)
            signatures = greedy.scores.bleu_signature, greedy.scores.chrf_signature
            rows.append([pair, kind, greedy.scores.bleu, beam.scores.bleu, greedy.scores.chrf, beam.scores.chrf,
                         plan.steps, f"{seconds:.1f} s", history.device])
            print(f"  {kind:9s} BLEU greedy {greedy.scores.bleu:5.2f} beam {beam.scores.bleu:5.2f} | chrF greedy "
                  f"{greedy.scores.chrf:5.2f} beam {beam.scores.chrf:5.2f} | {plan.steps} steps in {seconds:.1f} s "
                  f"on {history.device} (final loss {history.loss[-1]:.3f})", flush=True)
    print()
    print(markdown_table(["pair", "model", "BLEU greedy", "BLEU beam", "chrF greedy", "chrF beam", "steps",
                          "training", "device"], rows))
    if signatures:
        print(f"\nBLEU: {signatures[0]}\nchrF: {signatures[1]}")


if __name__ == "__main__":
    main()
