"""lib.checkpoints: a round trip, saves that race, and the files it refuses."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from lib.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from lib.models import build_model
from lib.history import History
from tiny import VOCAB


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
