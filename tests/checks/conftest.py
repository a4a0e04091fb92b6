"""Parametrize the harness (harness.py) over each module's ``SPECS``, and keep the checks on one thread."""

from __future__ import annotations

import pytest
import torch


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    specs = getattr(metafunc.module, "SPECS", None)
    if specs is None:
        return
    if "mistake" in metafunc.fixturenames:
        pairs = [(spec, label) for spec in specs for label in spec.mistakes]
        metafunc.parametrize(("spec", "mistake"), pairs, ids=[f"{s.name}: {label}" for s, label in pairs])
    elif "spec" in metafunc.fixturenames:
        metafunc.parametrize("spec", specs, ids=[s.name for s in specs])


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    """The checks run on tensors of a few dozen numbers: a second thread only adds waiting (on a
    busy two-core machine, softmax of a (3, 5) tensor takes ~1000 times longer with two)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
