"""Chapter 08's exercise checks: the reference passes, known mistakes are named.

Each known-wrong implementation must fail with its learner-facing sentence (asserted on a
phrase), and an unfinished exercise (``raise NotImplementedError()``) says "not implemented
yet". The notebook's own solutions pass, and its student edition fails with that message.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import nbformat
import pytest
import torch

from lib import attention, checks
from lib.checks import ExerciseError

NOTEBOOK = Path(__file__).resolve().parents[1] / "chapters" / "08_beyond_dot_product.ipynb"


# --------------------------------------------------------------------------------------------
# scaled_dot_product_scores
# --------------------------------------------------------------------------------------------


def scaled_reference(query, keys):
    return torch.bmm(query.unsqueeze(1), keys.transpose(1, 2)).squeeze(1) / math.sqrt(keys.shape[-1])


def _dot(query, keys):
    return (query.unsqueeze(1) * keys).sum(-1)


SCALED_MISTAKES = {
    "not scaled": (_dot, "not scaled"),
    "divided by d": (lambda query, keys: _dot(query, keys) / keys.shape[-1], "you divided by d"),
    "divided by sqrt(T)": (lambda query, keys: _dot(query, keys) / math.sqrt(keys.shape[1]),
                           "square root of the number of keys"),
    "divided by T": (lambda query, keys: _dot(query, keys) / keys.shape[1],
                     "you divided by the number of keys"),
    "multiplied by sqrt(d)": (lambda query, keys: _dot(query, keys) * math.sqrt(keys.shape[-1]),
                              "you multiplied by sqrt(d)"),
    "softmax": (lambda query, keys: torch.softmax(scaled_reference(query, keys), -1),
                "you returned softmax weights"),
    "keys not transposed": (lambda query, keys: torch.bmm(query.unsqueeze(1), keys).squeeze(1)
                            / math.sqrt(keys.shape[-1]), "transpose the keys"),
    "wrong shape": (lambda query, keys: scaled_reference(query, keys).unsqueeze(1), "returned shape"),
}


def test_scaled_reference_passes(capsys):
    checks.check_scaled_dot_product_scores(scaled_reference)
    assert "✓ scaled_dot_product_scores is correct" in capsys.readouterr().out


def test_scaled_lib_score_passes():
    checks.check_scaled_dot_product_scores(attention.ScaledDotScore(), quiet=True)


def test_scaled_worked_example():
    scores = checks.ch08._reference_scaled_scores(checks.EXAMPLE_08_QUERY, checks.EXAMPLE_08_KEYS)
    assert torch.equal(scores, torch.tensor([[2.0, 1.0, 4.0]]))


@pytest.mark.parametrize("wrong", SCALED_MISTAKES, ids=list(SCALED_MISTAKES))
def test_scaled_mistake_is_named(wrong):
    implementation, phrase = SCALED_MISTAKES[wrong]
    with pytest.raises(ExerciseError, match=re.escape(phrase)) as caught:
        checks.check_scaled_dot_product_scores(implementation, quiet=True)
    assert str(caught.value).startswith("scaled_dot_product_scores")
    assert "\n" not in str(caught.value)


def test_scaled_not_implemented():
    def unfinished(query, keys):
        raise NotImplementedError()

    with pytest.raises(ExerciseError, match="not implemented yet"):
        checks.check_scaled_dot_product_scores(unfinished)


# --------------------------------------------------------------------------------------------
# additive_scores
# --------------------------------------------------------------------------------------------


def additive_reference(query, keys, W_q, W_k, v):  # noqa: N803
    hidden = torch.tanh((query @ W_q.T).unsqueeze(1) + keys @ W_k.T)  # (B, T, a)
    return hidden @ v  # (B, T)


def _parts(query, keys, W_q, W_k):  # noqa: N803
    return (query @ W_q.T).unsqueeze(1), keys @ W_k.T


ADDITIVE_MISTAKES = {
    "no tanh": (lambda query, keys, W_q, W_k, v: sum(_parts(query, keys, W_q, W_k)) @ v,
                "the tanh is missing"),
    "tanh after v": (lambda query, keys, W_q, W_k, v: torch.tanh(sum(_parts(query, keys, W_q, W_k)) @ v),
                     "you applied tanh after the dot product with v"),
    "no v": (lambda query, keys, W_q, W_k, v: torch.tanh(sum(_parts(query, keys, W_q, W_k))).sum(-1),
             "instead of taking its dot product with v"),
    "multiplied": (lambda query, keys, W_q, W_k, v: torch.mul(*_parts(query, keys, W_q, W_k)).sum(-1),
                   "the additive score *adds* them"),
    "multiplied inside tanh": (
        lambda query, keys, W_q, W_k, v: torch.tanh(torch.mul(*_parts(query, keys, W_q, W_k))) @ v,
        "inside the tanh"),
    "weights not transposed": (
        lambda query, keys, W_q, W_k, v: torch.tanh((query @ W_q).unsqueeze(1) + keys @ W_k) @ v,
        "project with query @ W_q.T"),
    "query not unsqueezed": (
        lambda query, keys, W_q, W_k, v: torch.tanh(query @ W_q.T + (keys @ W_k.T).sum(1)) @ v,
        "returned shape"),
}


def test_additive_reference_passes(capsys):
    checks.check_additive_scores(additive_reference)
    assert "✓ additive_scores is correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong", ADDITIVE_MISTAKES, ids=list(ADDITIVE_MISTAKES))
def test_additive_mistake_is_named(wrong):
    implementation, phrase = ADDITIVE_MISTAKES[wrong]
    with pytest.raises(ExerciseError, match=re.escape(phrase)) as caught:
        checks.check_additive_scores(implementation, quiet=True)
    assert str(caught.value).startswith("additive_scores")


def test_additive_not_implemented():
    def unfinished(query, keys, W_q, W_k, v):  # noqa: N803
        raise NotImplementedError()

    with pytest.raises(ExerciseError, match="not implemented yet"):
        checks.check_additive_scores(unfinished)


def test_mistakes_differ_from_the_reference_on_the_worked_examples():
    """Every known mistake is wrong on the first case, so it is named there, not by chance later."""
    example = {"query": checks.EXAMPLE_08_QUERY, "keys": checks.EXAMPLE_08_KEYS}
    expected = scaled_reference(**example)
    for name, (implementation, _) in SCALED_MISTAKES.items():
        if name in ("keys not transposed", "wrong shape"):
            continue
        assert not torch.allclose(implementation(**example), expected), name
    example = checks.ch08._additive_cases(seed=9)[0]
    expected = additive_reference(**example)
    for name, (implementation, _) in list(ADDITIVE_MISTAKES.items())[:5]:
        assert not torch.allclose(implementation(**example), expected), name


# --------------------------------------------------------------------------------------------
# The notebook: its solutions pass; its student edition says "not implemented yet".
# --------------------------------------------------------------------------------------------

SOLUTION = re.compile(r"### BEGIN SOLUTION.*?### END SOLUTION", re.DOTALL)


def _exercise_cells():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    cells = [c for c in notebook.cells if c.cell_type == "code" and "nbgrader" in c.metadata]
    solutions = {c.metadata.nbgrader.grade_id: c.source for c in cells if c.metadata.nbgrader.solution}
    graded = {c.metadata.nbgrader.grade_id: c.source for c in cells if c.metadata.nbgrader.grade}
    return solutions, graded


def test_notebook_exercises_follow_the_format():
    solutions, graded = _exercise_cells()
    assert set(solutions) == {"ex-08-scaled-scores-solution", "ex-08-additive-scores-solution"}
    assert {key.replace("-solution", "-check") for key in solutions} == set(graded)
    for source in solutions.values():
        assert SOLUTION.search(source)


@pytest.mark.parametrize("student", [False, True], ids=["instructor", "student"])
def test_notebook_solutions_against_their_checks(student):
    solutions, graded = _exercise_cells()
    for grade_id, source in solutions.items():
        if student:
            source = SOLUTION.sub("# YOUR CODE HERE\n    raise NotImplementedError()", source)
        namespace = {"torch": torch, "math": math, "checks": checks}
        exec(compile(source, grade_id, "exec"), namespace)
        check = graded[grade_id.replace("-solution", "-check")]
        if student:
            with pytest.raises(ExerciseError, match="not implemented yet"):
                exec(compile(check, grade_id, "exec"), namespace)
        else:
            exec(compile(check, grade_id, "exec"), namespace)
