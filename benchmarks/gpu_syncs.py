"""Host-device syncs in the training loop: how often the CPU waits for the GPU.

Runs ``lib.train.fit`` on chapter 09's attention model at the GPU plan's sizes, on synthetic
pairs of 3 to 24 tokens, under ``torch.cuda.set_sync_debug_mode("warn")``, and prints every
synchronising call with the line that made it. One log window is read back once (the loss and the
token count); anything per step makes the CPU wait on the GPU every step. Needs CUDA.

    python benchmarks/gpu_syncs.py            # 40 steps, one log window; exits 1 on a per-step sync
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections import Counter

import torch

from lib.data import PairDataset, Vocab, bucketed_loader
from lib.models import build_model
from lib.recipes import GPU_PLAN
from lib.train import fit


def synthetic_pairs(count: int, vocabulary: int = 3_000, seed: int = 0) -> PairDataset:
    generator = torch.Generator().manual_seed(seed)

    def sentence() -> list[str]:
        length = int(torch.randint(3, GPU_PLAN.max_len + 1, (1,), generator=generator))
        return [f"w{int(i)}" for i in torch.randint(0, vocabulary, (length,), generator=generator)]

    pairs = [(sentence(), sentence()) for _ in range(count)]
    vocab = Vocab.from_sequences((source for source, _ in pairs), min_count=1)
    return PairDataset([s for s, _ in pairs], [t for _, t in pairs], vocab, vocab)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--timed-steps", type=int, default=300)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("gpu_syncs.py needs a CUDA device")
    data = synthetic_pairs(20_000)
    print(torch.cuda.get_device_name(), "torch", torch.__version__)

    def model_on_gpu():  # copied to the GPU before the count: fit's own .to("cuda") then copies nothing
        return build_model("attention", len(data.source_vocab), len(data.target_vocab),
                           embed_size=GPU_PLAN.embed_size, hidden_size=GPU_PLAN.hidden_size, seed=0).cuda()

    def run(model, steps: int):
        return fit(model, bucketed_loader(data, GPU_PLAN.batch_size, seed=0), GPU_PLAN.training, steps=steps,
                   device="cuda", progress=False, log_every=steps)

    run(model_on_gpu(), 5)  # warm-up: cuDNN's plans, the caching allocator
    model = model_on_gpu()
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("warn")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run(model, args.steps)
    torch.cuda.set_sync_debug_mode(0)
    lines = Counter(f"{w.filename}:{w.lineno}" for w in caught if "synchroniz" in str(w.message))
    print(f"{sum(lines.values())} synchronising calls in {args.steps} steps (one log window):")
    for line, count in lines.most_common():
        print(f"    {count:4d}  {line}")
    model = model_on_gpu()
    torch.cuda.synchronize()
    start = time.perf_counter()
    history = run(model, args.timed_steps)
    torch.cuda.synchronize()
    print(f"{args.timed_steps} steps in {time.perf_counter() - start:.2f} s, "
          f"{history.tokens_per_second:,.0f} target tokens/s")
    per_step = [line for line, count in lines.items() if count >= args.steps]
    if per_step:
        sys.exit(f"synchronising every step: {per_step}")


if __name__ == "__main__":
    main()
