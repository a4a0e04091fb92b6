"""Translation quality and training time on Tatoeba, for both models, both language pairs, several seeds.

For each language pair, model (fixed context, attention) and seed this trains with chapter 09's plan
(:func:`lib.translation.plan_training`: on a CPU a length-stratified sample, on a GPU the whole corpus),
then prints test BLEU and chrF (sacrebleu, detokenised text) with greedy decoding and beam search, the
training time and speed, and the device; then the mean and range over seeds, and BLEU by source length.
Not a test: run it by hand, e.g.

    python benchmarks/translation.py --full --mirror ../shared/data/tatoeba-full   # chapter 09's evidence
    python benchmarks/translation.py --pairs kor-eng --seeds 0 --steps 300          # a quick look
    python benchmarks/translation.py --full --device cuda                           # the whole corpus on a GPU
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time

import torch

from lib.tatoeba import ATTRIBUTION, MIRROR_ENV, PAIRS, load_splits
from lib.train import pick_device
from lib.recipes import LENGTH_EDGES, SEEDS
from lib.metrics import corpus_scores, scores_by_length
from lib.tables import markdown_table
from lib.evaluation import evaluate_split
from lib.translation import plan_training, prepare, select, train_model

KINDS = ("fixed", "attention")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line, checked; ``seeds`` is already the list the run uses (``--full``: 0 1 2)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", nargs="+", default=sorted(PAIRS), choices=sorted(PAIRS),
                        help="language pairs (default: all)")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS),
                        help=f"seeds of the weights and the batches (default: chapter 09's, {list(SEEDS)})")
    parser.add_argument("--full", action="store_true",
                        help="three seeds (0 1 2) for every pair: the spread chapter 09 cites")
    parser.add_argument("--steps", type=int, default=None,
                        help="training steps per model (default: the plan's, from the device)")
    parser.add_argument("--mirror", default=None,
                        help=f"a folder laid out like shared/data/tatoeba-full (default: ${MIRROR_ENV}, else download)")
    parser.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads for torch (default 1: one run per core when runs share a machine; "
                             "0 = torch's default, as in chapter 09)")
    args = parser.parse_args(argv)
    if args.full:
        args.seeds = [0, 1, 2]
    if args.steps is not None and args.steps < 1:
        parser.error(f"--steps must be a positive number of steps, got {args.steps}")
    return args


def _print_tables(rows: list[list], summary: list[list], lengths: list[list],
                  signatures: tuple[str, str] | None) -> None:
    """Every run, the mean and range over seeds, and BLEU by source length, as Markdown tables."""
    print()
    print(markdown_table(["pair", "model", "seed", "BLEU greedy", "BLEU beam", "chrF greedy", "chrF beam",
                          "training", "tokens/s", "device"], rows))
    print()
    print(markdown_table(["pair", "model", "seeds", "BLEU greedy, mean", "lowest", "highest"], summary))
    print()
    labels = [f"{low}-{high - 1}" for low, high in zip(LENGTH_EDGES, LENGTH_EDGES[1:])]
    print(markdown_table(["pair", "model", "seed"] + [f"BLEU, {label} tokens (pairs)" for label in labels], lengths))
    if signatures:
        print(f"\nBLEU: {signatures[0]}\nchrF: {signatures[1]}")


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    mirror = args.mirror or os.environ.get(MIRROR_ENV)
    print(ATTRIBUTION)
    print(f"data: {mirror or 'download cache'}; device: {device}; torch threads: {torch.get_num_threads()}")

    rows, summary, lengths, signatures = [], [], [], None
    for pair in args.pairs:
        splits = load_splits(pair, mirror=mirror)
        plan = plan_training(splits, device)
        if args.steps is not None:
            plan = dataclasses.replace(plan, steps=args.steps)
        data = prepare(select(splits, plan), plan.min_count)
        print(f"\n{pair} ({splits.source_lang}->{splits.target_lang}): {plan}; "
              f"{len(data.train)}/{len(data.validation)}/{len(data.test)} pairs", flush=True)
        for kind in KINDS:
            bleus = []
            for seed in args.seeds:
                start = time.perf_counter()
                model, history = train_model(kind, data, plan, seed=seed, device=device, progress=False)
                seconds = time.perf_counter() - start
                greedy = evaluate_split(model, data, "test")
                beam = evaluate_split(model, data, "test", beam_size=plan.beam_size,
                                      length_penalty=plan.length_penalty)
                signatures = greedy.scores.bleu_signature, greedy.scores.chrf_signature
                bleus.append(greedy.scores.bleu)
                rows.append([pair, kind, seed, greedy.scores.bleu, beam.scores.bleu, greedy.scores.chrf,
                             beam.scores.chrf, f"{seconds:.1f} s", f"{history.tokens_per_second:,.0f}", history.device])
                buckets = scores_by_length(greedy.hypotheses, greedy.references,
                                           [len(e.source) for e in data.examples("test")], LENGTH_EDGES,
                                           score=corpus_scores)
                lengths.append([pair, kind, seed] + [f"{b.scores.bleu:.1f} ({b.pairs})" for b in buckets])
                print(f"  {kind:9s} seed {seed}: BLEU greedy {greedy.scores.bleu:5.2f} beam {beam.scores.bleu:5.2f} "
                      f"| chrF greedy {greedy.scores.chrf:5.2f} beam {beam.scores.chrf:5.2f} | {plan.steps} steps "
                      f"in {seconds:.1f} s, {history.tokens_per_second:,.0f} tokens/s on {history.device}", flush=True)
            summary.append([pair, kind, len(bleus), statistics.mean(bleus), min(bleus), max(bleus)])
    _print_tables(rows, summary, lengths, signatures)


if __name__ == "__main__":
    main()
