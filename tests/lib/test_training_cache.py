"""lib.training_cache, through fit(cache=...): a cached run loads what it trained, once for two asking."""

from concurrent.futures import ThreadPoolExecutor

import torch

from lib.data import make_loader
from lib.models import build_model
from lib.train import TrainingSettings, fit
from tiny import VOCAB, tiny_dataset


def test_the_same_cached_training_asked_twice_at_once_trains_once(tmp_path, monkeypatch, capsys):
    """Chapters run side by side: chapter 7 asks for the model chapter 1 is still training."""
    monkeypatch.setenv("ATTENTION_COURSE_CACHE", str(tmp_path))
    models = [build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8, seed=1)
              for _ in range(2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        histories = list(pool.map(lambda model: fit(model, make_loader(tiny_dataset(), 8), steps=40, progress=False,
                                                    device="cpu", cache="twice"), models))
    said = capsys.readouterr().out
    # One trained, the other loaded what it trained (after waiting, unless it came once all was done).
    assert said.count("loaded the weights") == 1 and said.count("waiting for another process") <= 1, said
    assert histories[0].loss == histories[1].loss
    for a, b in zip(models[0].state_dict().values(), models[1].state_dict().values()):
        assert torch.equal(a, b)
    assert len(list((tmp_path / "checkpoints").glob("twice-*.pt"))) == 1


def test_cached_training_loads_the_same_result(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ATTENTION_COURSE_CACHE", str(tmp_path))

    def train(steps=10, seed=5):
        model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8, seed=seed)
        history = fit(model, make_loader(tiny_dataset(), 16), steps=steps, progress=False, cache="unit")
        return model, history

    trained, first = train()
    assert "loaded" not in capsys.readouterr().out
    assert len(list((tmp_path / "checkpoints").glob("unit-*.pt"))) == 1
    loaded, second = train()
    assert "loaded the weights" in capsys.readouterr().out
    assert second.loss == first.loss
    for a, b in zip(trained.state_dict().values(), loaded.state_dict().values()):
        assert torch.equal(a, b)
    train(steps=11)  # another setting trains again
    train(seed=6)  # other initial weights train again
    assert len(list((tmp_path / "checkpoints").glob("unit-*.pt"))) == 3


def test_numpy_counts_and_seed_key_the_cache_like_python_ints(tmp_path, monkeypatch, capsys):
    """A seed or a step count from NumPy (np.arange, a sweep's grid) is the same run as its int."""
    import numpy as np

    monkeypatch.setenv("ATTENTION_COURSE_CACHE", str(tmp_path))

    def train(steps, seed):
        model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8, seed=0)
        return fit(model, make_loader(tiny_dataset(), 16), steps=steps, seed=seed, progress=False, cache="numpy")

    settings = TrainingSettings(steps=np.int64(4), seed=np.int64(1))
    assert (type(settings.steps), type(settings.seed)) == (int, int)
    first = train(np.int64(4), np.int64(1))  # before: TypeError, int64 is not JSON serializable
    second = train(4, 1)
    assert "loaded the weights" in capsys.readouterr().out
    assert second.loss == first.loss
