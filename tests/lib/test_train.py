"""lib.train: determinism, evaluation, checkpoints, the loss, and fit's cache."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from lib.data import make_loader
from lib.metrics import evaluate
from lib.models import build_model
from lib.train import CheckpointError, History, fit, load_checkpoint, save_checkpoint, sequence_loss
from tiny import VOCAB, tiny_dataset


def test_same_seed_same_history():
    histories = []
    for _ in range(2):
        model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8, seed=3)
        histories.append(fit(model, make_loader(tiny_dataset(), 16, seed=1), steps=12, log_every=3, progress=False).loss)
    assert histories[0] == histories[1]
    model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8, seed=4)
    other = fit(model, make_loader(tiny_dataset(), 16, seed=1), steps=12, log_every=3, progress=False).loss
    assert other != histories[0]


def test_fit_learns_and_records_evaluations():
    dataset = tiny_dataset(256, 3, 6)
    model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=32, embed_size=16)
    history = fit(model, make_loader(dataset, 32), steps=150, lr=1e-2, progress=False,
                  evaluate=lambda m: evaluate(m, dataset), eval_every=75)
    assert history.loss[-1] < history.loss[0] / 3
    assert [e["step"] for e in history.evals] == [75, 150]
    assert history.evals[-1]["token_accuracy"] > 0.6
    assert history.tokens > 0 and history.tokens_per_second > 0 and history.device == "cpu"
    assert history.first_reaching("token_accuracy", 0.0)["step"] == 75


def test_fit_gives_the_process_its_denormal_floats_back():
    """fit flushes denormals only while it trains: afterwards a float32 subnormal survives
    arithmetic again (a softmax of very negative scores, in a learner's next cell, is IEEE's)."""
    def subnormal_survives() -> bool:
        return (torch.tensor([1e-38]) * 0.01).item() > 0  # 1e-40: below float32's normal range

    assert subnormal_survives()
    model = build_model("fixed", len(VOCAB), len(VOCAB), hidden_size=8, embed_size=4)
    fit(model, make_loader(tiny_dataset(), 16), steps=2, progress=False, device="cpu")
    assert subnormal_survives()


def test_fit_rejects_zero_steps():
    model = build_model("fixed", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8)
    with pytest.raises(ValueError, match="steps must be an int >= 1"):
        fit(model, make_loader(tiny_dataset(), 8), steps=0, progress=False)


def test_sequence_loss_shape_error():
    with pytest.raises(ValueError, match=r"logits \(batch, tgt_len, vocab\) and targets"):
        sequence_loss(torch.randn(2, 3, 5), torch.zeros(2, 4, dtype=torch.long))


def test_checkpoint_round_trip(tmp_path):
    model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8, seed=1)
    history = History(step=[1], loss=[2.5], seconds=[0.1], tokens=10)
    path = save_checkpoint(tmp_path / "m.pt", model, config={"hidden": 16}, history=history,
                           extra={"vocab": VOCAB.state_dict()})
    other = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8, seed=2)
    state = load_checkpoint(path, other)
    assert state["config"] == {"hidden": 16} and state["history"].loss == [2.5]
    for a, b in zip(model.state_dict().values(), other.state_dict().values()):
        assert torch.equal(a, b)
    assert not list(tmp_path.glob("*.tmp"))



def test_checkpoints_saved_at_once_to_one_path_leave_one_whole_file(tmp_path):
    """The book's chapters run side by side and may cache the same training at the same moment."""
    models = [build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8, seed=seed)
              for seed in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda model: save_checkpoint(tmp_path / "m.pt", model), models))
    loaded = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8, seed=99)
    load_checkpoint(tmp_path / "m.pt", loaded)
    saved = [model for model in models
             if all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), loaded.state_dict().values()))]
    assert len(saved) == 1  # one of the six, whole
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]


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

def test_checkpoint_errors(tmp_path):
    model = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8)
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "missing.pt", model)
    path = save_checkpoint(tmp_path / "m.pt", model)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_checkpoint(truncated, model)
    bigger = build_model("attention", len(VOCAB), len(VOCAB), hidden_size=32, embed_size=8)
    with pytest.raises(CheckpointError, match="weights for another model"):
        load_checkpoint(path, bigger)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.ones(2)}, foreign)
    with pytest.raises(CheckpointError, match="not a checkpoint of this course"):
        load_checkpoint(foreign, model)


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
