"""lib.train_many: every run called as train(*run, device=..., progress=False), results in order.

The runs side by side in worker processes, with the results they give alone, are tested on chapter
9's own training in tests/lib/test_translation.py (test_train_models_side_by_side_gives_what_train_model_gives).
"""

import torch

from lib.train_many import train_models


def test_on_a_gpu_the_runs_train_one_after_another_in_this_process():
    calls = []

    def train(kind, seed, *, device, progress):
        calls.append((kind, seed, device, progress))
        return f"{kind}-{seed}"

    # A GPU device is only named here, never used: train_models hands it on without touching it.
    assert train_models(train, [("fixed", 0), ("attention", 1)], device="cuda") == ["fixed-0", "attention-1"]
    assert calls == [("fixed", 0, torch.device("cuda"), False), ("attention", 1, torch.device("cuda"), False)]


def test_a_single_run_needs_no_worker():
    assert train_models(lambda n, *, device, progress: (n, device.type), [(3,)], device="cpu") == [(3, "cpu")]
