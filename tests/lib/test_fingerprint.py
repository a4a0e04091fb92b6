"""fit's cache key (lib.fingerprint): what determines the trained model changes it, nothing else does.

Each key is read from the checkpoint fit(cache=...) writes, so the tests follow fit's own path.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lib.data import PairDataset, make_loader
from lib.metrics import evaluate
from lib.models import build_model
from lib.train import fit
from tiny import VOCAB, tiny_dataset

REPO = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter with PYTHONPATH pointing at a copy of lib: prints fit's cache key.
SCRIPT = """
import os, sys
from pathlib import Path
from lib.data import PairDataset, make_loader
from lib.models import build_model
from lib.tasks import reversal_pairs, reversal_vocab
from lib.train import fit
v = reversal_vocab()
pairs = reversal_pairs(64, 3, 8, seed=0)
data = PairDataset([s for s, _ in pairs], [t for _, t in pairs], v, v)
model = build_model("attention", len(v), len(v), hidden_size=16, embed_size=8, seed=5)
fit(model, make_loader(data, 16), steps=1, progress=False, device="cpu", cache="key")
print(next(Path(os.environ["ATTENTION_COURSE_CACHE"], "checkpoints").glob("key-*.pt")).stem)
"""


def _keys_in_new_processes(*runs: tuple[Path, Path]) -> list[str]:
    """For each (copy of lib, cache folder): the key, each from a fresh interpreter (run side by side)."""
    started = []
    for lib, cache in runs:
        env = {**os.environ, "PYTHONPATH": str(lib.parent), "ATTENTION_COURSE_CACHE": str(cache),
               "OMP_NUM_THREADS": "1"}  # one step of a tiny model: a second thread would only wait
        started.append(subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=env, cwd=cache.parent))
    keys = []
    for process in started:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        keys.append(out.strip())
    return keys


def _edited_copy(tmp_path: Path, name: str, file: str, old: str, new: str) -> Path:
    copy = tmp_path / name / "lib"
    shutil.copytree(REPO / "lib", copy, ignore=shutil.ignore_patterns("__pycache__"))
    text = (copy / file).read_text("utf-8")
    assert old in text, f"{old!r} is not in lib/{file} any more: update this test"
    (copy / file).write_text(text.replace(old, new, 1), "utf-8")
    return copy


def test_docstrings_of_checks_leave_the_key_and_model_code_changes_it(tmp_path):
    checks_doc = _edited_copy(tmp_path, "checks-doc", "checks/ch03.py", '"""Chapter 03: ', '"""Chapter 3: ')
    model_code = _edited_copy(tmp_path, "model-code", "models.py",
                              "attentional = torch.tanh(self.combine(torch.cat([context, queries], dim=-1)))",
                              "attentional = torch.relu(self.combine(torch.cat([context, queries], dim=-1)))")
    original, again, docstring_edited, model_edited = _keys_in_new_processes(
        (REPO / "lib", tmp_path / "original"), (REPO / "lib", tmp_path / "again"),
        (checks_doc, tmp_path / "checks-doc-cache"), (model_code, tmp_path / "model-code-cache"))
    assert original == again, "the key depends on the process"
    assert docstring_edited == original
    assert model_edited != original


@pytest.fixture
def key(tmp_path, monkeypatch):
    """``key(loader=..., model=..., **fit settings)``: the cache key fit gives that training."""
    monkeypatch.setenv("ATTENTION_COURSE_CACHE", str(tmp_path))
    checkpoints = tmp_path / "checkpoints"

    def run(loader=None, model=None, **settings) -> str:
        shutil.rmtree(checkpoints, ignore_errors=True)  # so that fit trains and writes exactly one file
        model = model or build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8, seed=5)
        loader = loader or make_loader(tiny_dataset(), 16)
        fit(model, loader, **{"steps": 1, "progress": False, "device": "cpu", "cache": "k", **settings})
        (written,) = checkpoints.glob("k-*.pt")
        return written.stem

    return run


def test_the_same_training_has_the_same_key(key):
    assert key() == key()


@pytest.mark.parametrize("change", [
    {"loader": make_loader(tiny_dataset(), 16, shuffle=False)},
    {"loader": make_loader(tiny_dataset(), 16, drop_last=True)},
    {"loader": make_loader(tiny_dataset(), 16, seed=1)},
    {"loader": make_loader(tiny_dataset(), 8)},
    {"loader": make_loader(tiny_dataset(seed=1), 16)},
    {"loader": make_loader(PairDataset(["abc"] * 16, ["cba"] * 16, VOCAB, VOCAB), 16)},
    {"model": build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8, seed=6)},
    {"model": build_model("attention", len(VOCAB), len(VOCAB), hidden_size=16, embed_size=8, seed=5,
                          score="scaled")},
    {"steps": 2}, {"lr": 1e-3}, {"clip": 0.5}, {"seed": 1}, {"eval_every": 1},
    {"evaluate": lambda model: {"exact_match": 0.0}},
], ids=["no shuffle", "drop_last", "shuffle seed", "batch size", "other data", "same size other data",
        "initial weights", "score module", "steps", "lr", "clip", "seed", "eval_every", "evaluate"])
def test_what_determines_the_result_changes_the_key(key, change):
    assert key(**change) != key()


def _scorer(data):
    return lambda model: evaluate(model, data)  # one line of code, whatever data it reads


def test_an_evaluate_callback_is_known_by_its_code_and_the_data_it_reads(key):
    first = key(evaluate=_scorer(tiny_dataset(16, seed=3)))
    assert key(evaluate=_scorer(tiny_dataset(16, seed=3))) == first
    assert key(evaluate=_scorer(tiny_dataset(16, seed=4))) != first


def test_the_same_callback_written_on_another_line_has_the_same_key(key, tmp_path):
    """Chapters 7, 8 and 10 each write ``evaluate=lambda m: evaluate(m, test_set)`` inside their
    own ``fit(...)`` call: the same training, which the book build must run once for all three."""
    cells = tmp_path / "cells.py"  # a file, so that inspect finds the source as it does for a notebook's cells
    cells.write_text("from lib.metrics import evaluate\n"
                     "def callbacks(data):\n"
                     "    one = lambda m: evaluate(m, data)\n"
                     "    other = (lambda m: evaluate(m, data)) if data is not None else None\n"
                     "    settings = {'steps': 300, 'evaluate': lambda m: evaluate(m, data), 'progress': False}\n"
                     "    changed = lambda m: evaluate(m, data, batch_size=8)\n"
                     "    return one, other, settings['evaluate'], changed\n", "utf-8")
    spec = importlib.util.spec_from_file_location("cells", cells)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    one, other, in_a_dict, changed = module.callbacks(tiny_dataset(16, seed=3))
    assert key(evaluate=one) == key(evaluate=other) == key(evaluate=in_a_dict)
    assert key(evaluate=changed) != key(evaluate=one)


def test_subsets_of_the_data_have_their_own_keys(key):
    from torch.utils.data import Subset
    data = tiny_dataset()
    first = key(loader=make_loader(Subset(data, range(0, 16)), 16))
    assert key(loader=make_loader(Subset(data, range(16, 32)), 16)) != first


def test_a_dataset_it_cannot_read_is_refused_not_shared(key):
    import torch
    from torch.utils.data import TensorDataset
    with pytest.raises(TypeError, match=r"cannot fingerprint a TensorDataset.*train without cache="):
        key(loader=make_loader(TensorDataset(torch.zeros(4, 3)), 2))


# --- What an evaluate reads besides its closure, and the dataset's own code (issue 20, 7) ---------


def test_an_evaluate_is_known_by_its_default_arguments(key):
    """``lambda m, d=test: ...`` reads ``d`` as surely as a closure would: by value, not by name."""
    first = key(evaluate=lambda m, d=tiny_dataset(16, seed=3): evaluate(m, d))
    assert key(evaluate=lambda m, d=tiny_dataset(16, seed=3): evaluate(m, d)) == first
    assert key(evaluate=lambda m, d=tiny_dataset(16, seed=4): evaluate(m, d)) != first
    assert key(evaluate=lambda m, *, size=8: {"size": float(size)}) != key(
        evaluate=lambda m, *, size=16: {"size": float(size)})  # keyword-only defaults too


def test_a_default_argument_it_cannot_read_is_refused_not_shared(key):
    with pytest.raises(TypeError, match=r"cannot key an evaluate whose default argument 'd' is a "
                                        r"object: .*pass cache=None"):
        key(evaluate=lambda m, d=object(): {"ok": 1.0})


class _Scorer:
    """An evaluate given as a bound method (scorer.run) or as the object itself (scorer)."""

    def __init__(self, data):
        self.data = data

    def run(self, model):
        return self.score(model)

    def score(self, model):
        return evaluate(model, self.data)

    def __call__(self, model):
        return self.run(model)


class _OtherScorer(_Scorer):
    def score(self, model):  # same run, same state: only the class's code differs
        return evaluate(model, self.data, batch_size=8)


def test_a_bound_method_is_known_by_its_objects_state_and_class(key):
    first = key(evaluate=_Scorer(tiny_dataset(16, seed=3)).run)
    assert key(evaluate=_Scorer(tiny_dataset(16, seed=3)).run) == first
    assert key(evaluate=_Scorer(tiny_dataset(16, seed=4)).run) != first
    assert key(evaluate=_OtherScorer(tiny_dataset(16, seed=3)).run) != first


def test_a_callable_object_is_known_by_its_state(key):
    first = key(evaluate=_Scorer(tiny_dataset(16, seed=3)))
    assert key(evaluate=_Scorer(tiny_dataset(16, seed=3))) == first  # not by its address
    assert key(evaluate=_Scorer(tiny_dataset(16, seed=4))) != first


def test_an_object_state_it_cannot_read_is_refused_not_shared(key):
    with pytest.raises(TypeError, match=r"cannot key an evaluate bound to an object whose attribute "
                                        r"'data' is a object"):
        key(evaluate=_Scorer(object()).run)


class _SortedBatches(PairDataset):
    """The same tensors as a PairDataset, served in another order within each batch."""

    def __getitems__(self, indices):
        return super().__getitems__(sorted(indices))


def _pairs_as(cls, seed=0):
    plain = tiny_dataset(seed=seed)
    return cls(plain.sources, plain.targets, VOCAB, VOCAB)


def test_a_dataset_subclass_is_known_by_its_code(key):
    assert key(loader=make_loader(_pairs_as(_SortedBatches), 16)) != key(loader=make_loader(_pairs_as(PairDataset), 16))


def test_a_dataset_class_without_source_is_known_by_its_compiled_code(key):
    """A class defined in a notebook cell has no source inspect can read: its methods' code counts."""
    def cell(body: str) -> type:
        namespace = {"PairDataset": PairDataset, "__name__": "a_notebook_cell"}
        exec(f"class Cell(PairDataset):\n    def __getitems__(self, indices):\n        {body}\n", namespace)
        return namespace["Cell"]

    sorted_key = key(loader=make_loader(_pairs_as(cell("return super().__getitems__(sorted(indices))")), 16))
    assert key(loader=make_loader(_pairs_as(cell("return super().__getitems__(sorted(indices))")), 16)) == sorted_key
    assert key(loader=make_loader(_pairs_as(cell("return super().__getitems__(indices[::-1])")), 16)) != sorted_key
