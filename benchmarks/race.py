"""Chapter 10's race: the GRU with attention against a Transformer of the same size, each at its best learning rate.

    python benchmarks/race.py                  # sweep, race, speed; writes benchmarks/results/race-cpu.*
    python benchmarks/race.py --workers 1      # one process (the default is two, one torch thread each)

Three tasks (lib.recipes.RACE_TASKS): copy and reversal of strings of 5 to 20 symbols, and chapter 07's
dates. Three contestants (lib.recipes.RACE_CONTESTANTS): chapter 07's GRU with attention, the Transformer
of lib.recipes.TRANSFORMER, and the same Transformer with its source positions counted from the end.

1. Sweep: every contestant on every task at each of RACE_SWEEP_LRS for RACE_SWEEP_STEPS steps, one
   seed; then the Transformers with a warm-up of a tenth of the steps, at their best rate. The best run (held-out exact
   match at the end, then its mean over the evaluations) gives each contestant its learning rate and
   warm-up on that task.
2. Race: each contestant at its own setting, three seeds (RACE_SEEDS: weights, batches and training),
   the task's steps; held-out exact match every RACE_EVAL_EVERY steps. Within a task and seed both
   models see the same batches in the same order.
3. Speed: training tokens per second of each model, in this process once the workers have stopped
   (one thread, no evaluations in the timed steps), and the
   floating-point operations per target token of one training step (torch's FlopCounterMode).

Writes benchmarks/results/race-cpu.json (everything), race-cpu.md (the tables) and lib/race_record.py
(the curves chapter 10 plots, which must reach Colab, where only lib is installed).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from lib.data import PAD, PairDataset
from lib.metrics import evaluate
from lib.recipes import (RACE_CONTESTANTS, RACE_EVAL_EVERY, RACE_LRS, RACE_SEEDS, RACE_SWEEP_LRS, RACE_SWEEP_STEPS,
                         RACE_TASKS)
from lib.train import fit, sequence_loss
from lib.transformer import build_transformer

RESULTS = Path(__file__).resolve().parent / "results"
RECORD = Path(__file__).resolve().parents[1] / "lib" / "race_record.py"
# The Transformer with positions from the end races on reversal only: the task whose output position i reads
# input position n - 1 - i, which counting from the end gives away.
TASKS_OF = {name: tuple(RACE_TASKS) if name != "Transformer, positions from the end" else ("reversal",)
            for name in RACE_CONTESTANTS}
THRESHOLDS = (0.5, 0.9, 0.99)


@lru_cache(maxsize=None)
def datasets(task: str) -> tuple[PairDataset, PairDataset]:
    return RACE_TASKS[task].datasets()


def build(task: str, contestant: str, seed: int) -> torch.nn.Module:
    recipe = replace(RACE_TASKS[task], model_seed=seed)
    sizes = RACE_CONTESTANTS[contestant]
    if sizes is None:
        return recipe.model()
    source_vocab, target_vocab = recipe.vocabs()
    return build_transformer(len(source_vocab), len(target_vocab), replace(sizes, seed=seed))


def run(task: str, contestant: str, lr: float, warmup: int, steps: int, seed: int) -> dict:
    """One training run; its held-out exact match every RACE_EVAL_EVERY steps."""
    torch.set_num_threads(1)
    recipe = replace(RACE_TASKS[task], loader_seed=seed)
    train, test = datasets(task)
    model = build(task, contestant, seed)
    history = fit(model, recipe.loader(train), recipe.training, steps=steps, lr=lr, warmup_steps=warmup,
                  seed=seed, eval_every=RACE_EVAL_EVERY, evaluate=lambda m: evaluate(m, test), progress=False,
                  device="cpu", description=f"{contestant} on {task}")
    return {"task": task, "contestant": contestant, "lr": lr, "warmup": warmup, "steps": steps, "seed": seed,
            "curve": [[record["step"], record["exact_match"]] for record in history.evals],
            "seconds": round(history.train_seconds, 2)}


def run_all(calls: list[tuple], pool: ProcessPoolExecutor | None) -> list[dict]:
    return [run(*call) for call in calls] if pool is None else list(pool.map(run, *zip(*calls)))


def score(result: dict) -> tuple[float, float]:
    """Exact match at the end, then the mean over the evaluations (the earlier learner wins a tie)."""
    return result["curve"][-1][1], statistics.fmean(em for _, em in result["curve"])


def choose(sweep: list[dict]) -> dict[tuple[str, str], tuple[float, int]]:
    best: dict[tuple[str, str], dict] = {}
    for result in sweep:
        key = (result["task"], result["contestant"])
        if key not in best or score(result) > score(best[key]):
            best[key] = result
    return {key: (result["lr"], result["warmup"]) for key, result in best.items()}


def speed(task: str, contestant: str, steps: int = 40) -> dict:
    """Tokens per second of ``steps`` training steps (after 5 unmeasured; one thread, in this process after
    the workers have stopped), and FLOPs per target token of one training step."""
    torch.set_num_threads(1)
    recipe, (train, _) = RACE_TASKS[task], datasets(task)
    model = build(task, contestant, 0)
    fit(model, recipe.loader(train), recipe.training, steps=5, progress=False, device="cpu")
    history = fit(model, recipe.loader(train), recipe.training, steps=steps, progress=False, device="cpu")
    batch = next(iter(recipe.loader(train)))
    model.train()
    with FlopCounterMode(display=False) as counter:
        sequence_loss(model(batch.source, batch.source_lengths, batch.target_in)[0], batch.target_out).backward()
    return {"tokens_per_second": round(history.tokens_per_second),
            "flops_per_token": round(counter.get_total_flops() / int((batch.target_out != PAD).sum())),
            "parameters": sum(p.numel() for p in model.parameters())}


def first_reaching(curve: list[list[float]], threshold: float) -> int | None:
    return next((step for step, em in curve if em >= threshold), None)


def summary(race: list[dict]) -> dict:
    """Per task and contestant: the steps, and the mean, min and max exact match over the seeds at each."""
    curves: dict[str, dict[str, dict]] = {}
    for result in race:
        curves.setdefault(result["task"], {}).setdefault(result["contestant"], []).append(result["curve"])
    out: dict[str, dict[str, dict]] = {}
    for task, by_contestant in curves.items():
        for contestant, runs in by_contestant.items():
            steps = [step for step, _ in runs[0]]
            values = list(zip(*[[em for _, em in curve] for curve in runs]))  # per step, one per seed
            out.setdefault(task, {})[contestant] = {
                "steps": steps, "mean": [round(statistics.fmean(v), 4) for v in values],
                "min": [round(min(v), 4) for v in values], "max": [round(max(v), 4) for v in values],
                "first_reaching": {str(t): [first_reaching(curve, t) for curve in runs] for t in THRESHOLDS}}
    return out


def _conditions(meta: dict) -> str:
    """What else ran on the machine: said by hand in the record (``conditions``), else the load averages."""
    if "conditions" in meta:
        return meta["conditions"]
    loads = meta.get("load_average", {})
    return ("one-minute load average " + ", ".join(f"{load} {when}" for when, load in loads.items())
            + ": on a busy machine every time here, tokens per second included, is longer") if loads else \
        "the load on the machine was not recorded"


def markdown(record: dict) -> str:
    meta, curves = record["meta"], record["curves"]
    lines = [
        "# Chapter 10's race on a CPU: GRU with attention against a Transformer of the same size",
        "",
        f"Measured {meta['date']} by `benchmarks/race.py` ({meta['workers']} worker processes of one torch thread "
        f"each, on {meta['machine']}, torch {meta['torch']}; {_conditions(meta)}). Whole benchmark: "
        f"{meta['wall_seconds'] / 60:.1f} min wall. No GPU was lent to this run: `race-gpu.md` does not exist yet.",
        "",
        "Contestants: chapter 07's GRU with attention (`DATES.model()`: bidirectional GRU encoder, Luong "
        "decoder, d = 128) and the Transformer of `lib.recipes.TRANSFORMER` (d_model 64, 4 heads, 2 encoder "
        "layers, 1 decoder layer, feed-forward 160, pre-norm, sinusoidal positions), also with its source "
        "positions counted from the end. Same batches in the same order within a task and seed; Adam with "
        "`fit`'s cosine decay to 5 % of the rate (and the warm-up when chosen), gradient clip 1.",
        "",
        "| task | contestant | parameters | FLOPs per target token (train step) | training tokens/s (1 thread) |",
        "|---|---|---|---|---|",
    ]
    for task, by_contestant in record["speed"].items():
        for contestant, s in by_contestant.items():
            lines.append(f"| {task} | {contestant} | {s['parameters']:,} | {s['flops_per_token'] / 1e6:.2f} M | "
                         f"{s['tokens_per_second']:,} |")
    lrs = sorted({result["lr"] for result in record["sweep"]})
    lines += ["", f"## Sweep: one seed, {meta['sweep_steps']} steps, held-out exact match at the end", "",
              "| task | contestant | warm-up | " + " | ".join(f"lr {lr:g}" for lr in lrs) + " |",
              "|---|---|---|" + "---|" * len(lrs)]
    table: dict[tuple, dict] = {}
    for result in record["sweep"]:
        table.setdefault((result["task"], result["contestant"], result["warmup"]), {})[result["lr"]] = result
    for (task, contestant, warmup), by_lr in table.items():
        chosen = tuple(record["chosen"][task][contestant])
        # The race's warm-up is the sweep's scaled to its steps: compare whether there was one.
        bold = lambda lr: "**" if (lr, warmup > 0) == (chosen[0], chosen[1] > 0) else ""  # noqa: E731
        cells = [f"{bold(lr)}{by_lr[lr]['curve'][-1][1]:.3f}{bold(lr)}" if lr in by_lr else "" for lr in lrs]
        lines.append(f"| {task} | {contestant} | {warmup} | " + " | ".join(cells) + " |")
    at_edge = sorted({f"{c} on {t}" for t, by_c in record["chosen"].items() for c, (lr, _) in by_c.items()
                      if lr == max(meta["sweep_lrs"])})
    lines += ["", "Bold: the chosen setting (best at the end, ties broken by the mean over the evaluations). "
              "The largest rate swept was the best for: " + ("; ".join(at_edge) or "none") + " (a larger one was not "
              "tried).", "",
              f"## Race: three seeds, {meta['race_steps']} steps, held-out exact match (mean over seeds, min-max)",
              ""]
    for task, by_contestant in curves.items():
        steps = next(iter(by_contestant.values()))["steps"]
        lines += [f"**{task}** (test: {meta['test_sizes'][task]} held-out pairs)", "",
                  "| contestant | lr, warm-up | " + " | ".join(str(s) for s in steps) + " |",
                  "|---|---|" + "---|" * len(steps)]
        for contestant, c in by_contestant.items():
            lr, warmup = record["chosen"][task][contestant]
            lines.append(f"| {contestant} | {lr:g}, {warmup} | " + " | ".join(
                f"{m:.3f} ({lo:.2f}-{hi:.2f})" for m, lo, hi in zip(c["mean"], c["min"], c["max"])) + " |")
        lines += ["", "First step (of the evaluations) at which each seed reached the exact match:", "",
                  "| contestant | " + " | ".join(f"{t:.0%}" for t in THRESHOLDS) + " |", "|---|" + "---|" * len(THRESHOLDS)]
        for contestant, c in by_contestant.items():
            lines.append(f"| {contestant} | " + " | ".join(
                " / ".join("-" if s is None else str(s) for s in c["first_reaching"][str(t)]) for t in THRESHOLDS)
                + " |")
        lines.append("")
    lines += ["The curves: `benchmarks/results/race-cpu.json` (every run, the sweep too) and `lib/race_record.py` "
              "(the per-step mean, min and max that chapter 10 plots).", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--render", action="store_true", help="only rewrite race-cpu.md and lib/race_record.py "
                        "from race-cpu.json")
    args = parser.parse_args()
    if args.render:
        write(json.loads((RESULTS / "race-cpu.json").read_text()))
        return
    torch.set_num_threads(1)
    start = time.perf_counter()
    loads = {"at the start": round(os.getloadavg()[0], 1)}
    # spawn, not fork: a forked child of a process whose OpenMP threads have run can hang.
    pool = (ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn"))
            if args.workers > 1 else None)
    sweep_calls = [(task, contestant, lr, 0, RACE_SWEEP_STEPS, 0)
                   for contestant, tasks in TASKS_OF.items() for task in tasks for lr in RACE_SWEEP_LRS]
    sweep = run_all(sweep_calls, pool)
    print(f"sweep: {len(sweep)} runs, {time.perf_counter() - start:.0f} s", flush=True)
    (RESULTS / "race-sweep-partial.json").write_text(json.dumps(sweep))  # in case the race is cut short
    # The Transformers' warm-up, tried at their best rate.
    warmup_calls = [(task, contestant, lr, RACE_SWEEP_STEPS // 10, RACE_SWEEP_STEPS, 0)
                    for (task, contestant), (lr, _) in choose(sweep).items() if RACE_CONTESTANTS[contestant]]
    sweep += run_all(warmup_calls, pool)
    chosen = choose(sweep)
    print(f"sweep: {len(sweep)} runs, {time.perf_counter() - start:.0f} s; chosen {chosen}", flush=True)
    warmup_fraction = {key: warmup / RACE_SWEEP_STEPS for key, (_, warmup) in chosen.items()}
    race_calls = [(task, contestant, chosen[task, contestant][0],
                   round(RACE_TASKS[task].steps * warmup_fraction[task, contestant]), RACE_TASKS[task].steps, seed)
                  for task in RACE_TASKS for contestant in TASKS_OF if task in TASKS_OF[contestant] for seed in RACE_SEEDS]
    race = run_all(race_calls, pool)
    print(f"race: {len(race)} runs, {time.perf_counter() - start:.0f} s", flush=True)
    if pool is not None:
        pool.shutdown()
    loads["before the speed runs"] = round(os.getloadavg()[0], 1)
    speeds = {task: {c: speed(task, c) for c in TASKS_OF if task in TASKS_OF[c]} for task in RACE_TASKS}
    final = {(r["task"], r["contestant"]): (r["lr"], r["warmup"]) for r in race}
    record = {
        "meta": {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d"), "machine": platform.processor() or
                 platform.machine(), "torch": torch.__version__, "workers": args.workers,
                 "wall_seconds": round(time.perf_counter() - start), "load_average": loads,
                 "sweep_lrs": list(RACE_SWEEP_LRS),
                 "sweep_steps": RACE_SWEEP_STEPS, "race_steps": max(r.steps for r in RACE_TASKS.values()),
                 "seeds": list(RACE_SEEDS), "test_sizes": {t: len(datasets(t)[1]) for t in RACE_TASKS}},
        "chosen": {task: {c: list(final[task, c]) for c in TASKS_OF if task in TASKS_OF[c]} for task in RACE_TASKS},
        "speed": speeds, "curves": summary(race), "sweep": sweep, "race": race,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "race-cpu.json").write_text(json.dumps(record, indent=1) + "\n")
    write(record)
    if {key: tuple(value) for key, value in final.items()} != dict(RACE_LRS):
        print(f"lib.recipes.RACE_LRS differs from what was chosen: set it to {final}")
    print(f"done in {time.perf_counter() - start:.0f} s; wrote {RESULTS / 'race-cpu.md'} and {RECORD}")


def write(record: dict) -> None:
    """race-cpu.md and lib/race_record.py, from the record that race-cpu.json holds."""
    (RESULTS / "race-cpu.md").write_text(markdown(record))
    RECORD.write_text(
        '"""Chapter 10\'s race as ``benchmarks/race.py`` recorded it on a CPU (written by it; do not edit).\n\n'
        "``CURVES[task][contestant]``: the evaluation ``steps`` and the held-out exact match's ``mean``, ``min``\n"
        "and ``max`` over three seeds; ``CHOSEN[task][contestant]``: its (learning rate, warm-up steps);\n"
        "``SPEED[task][contestant]``: tokens per second, FLOPs per target token, parameters. Everything is in\n"
        "``benchmarks/results/race-cpu.json`` too; this copy ships with lib, so that Colab has it.\n"
        '"""\n\n'
        f"MEASURED = {record['meta']['date']!r}\n"
        f"CHOSEN = {json.dumps(record['chosen'], indent=1)}\n"
        f"SPEED = {json.dumps(record['speed'], indent=1)}\n"
        f"CURVES = {json.dumps(record['curves'], indent=1).replace('null', 'None')}\n")


if __name__ == "__main__":
    main()
