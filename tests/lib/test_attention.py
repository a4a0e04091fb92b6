"""lib.attention: each step, the composition against PyTorch's reference, and bad inputs."""

import math

import pytest
import torch
from torch.nn import functional as F

from lib.attention import (
    AdditiveScore,
    GeneralScore,
    ScaledDotScore,
    attend,
    attention_weights,
    concat_context,
    context_vector,
    dot_product_scores,
    weighted_values,
)

KEYS = torch.tensor([[[1.0, 2.0, 9.0], [9.0, 1.0, 1.0]]])  # (1, 2, 3): "나는", "오늘"
WEIGHTS = torch.tensor([[0.2, 0.8]])


def random_inputs(seed: int, batch=4, queries=3, src_len=7, hidden=5, value_size=6):
    generator = torch.Generator().manual_seed(seed)
    query = torch.randn(batch, queries, hidden, generator=generator)
    keys = torch.randn(batch, src_len, hidden, generator=generator)
    values = torch.randn(batch, src_len, value_size, generator=generator)
    lengths = torch.randint(1, src_len + 1, (batch,), generator=generator)
    mask = torch.arange(src_len) < lengths.unsqueeze(1)
    return query, keys, values, mask


def test_worked_example_context_vector():
    weighted = weighted_values(WEIGHTS, KEYS)
    assert torch.allclose(weighted[0, 0], torch.tensor([0.2, 0.4, 1.8]))
    assert torch.allclose(weighted[0, 1], torch.tensor([7.2, 0.8, 0.8]))
    context = context_vector(weighted)
    assert torch.allclose(context, torch.tensor([[7.4, 1.2, 2.6]]))
    # and the slip of the original notes is not what the code computes
    assert not torch.allclose(context, torch.tensor([[7.4, 1.2, 1.7]]))


def test_scores_are_dot_products():
    query = torch.tensor([[1.0, 0.0, 0.5]])
    assert torch.allclose(dot_product_scores(query, KEYS), torch.tensor([[5.5, 9.5]]))


def test_single_step_query_matches_all_steps():
    query, keys, values, mask = random_inputs(0)
    context_all, weights_all = attend(query, keys, values, mask)
    for step in range(query.shape[1]):
        context, weights = attend(query[:, step], keys, values, mask)
        assert torch.allclose(context, context_all[:, step], atol=1e-6)
        assert torch.allclose(weights, weights_all[:, step], atol=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_attend_equals_scaled_dot_product_attention(seed):
    query, keys, values, mask = random_inputs(seed)
    context, _ = attend(query, keys, values, mask)
    reference = F.scaled_dot_product_attention(query, keys, values, attn_mask=mask.unsqueeze(1), scale=1.0)
    assert torch.allclose(context, reference, atol=1e-5)


def test_scaled_score_equals_default_sdpa_scale():
    query, keys, values, mask = random_inputs(7)
    context, _ = attend(query, keys, values, mask, score=ScaledDotScore())
    reference = F.scaled_dot_product_attention(query, keys, values, attn_mask=mask.unsqueeze(1))
    assert torch.allclose(context, reference, atol=1e-5)


def test_padded_positions_get_exactly_zero_weight():
    query, keys, values, mask = random_inputs(1)
    _, weights = attend(query, keys, values, mask)
    assert torch.all(weights.masked_select(~mask.unsqueeze(1).expand_as(weights)) == 0)
    assert torch.allclose(weights.sum(-1), torch.ones(weights.shape[:2]))


def test_weighted_then_summed_equals_matrix_product():
    query, keys, values, mask = random_inputs(2)
    context, weights = attend(query, keys, values, mask)
    assert torch.allclose(context_vector(weighted_values(weights, values)), context, atol=1e-6)


def test_softmax_is_stable_for_large_scores():
    weights = attention_weights(torch.tensor([[1000.0, 999.0, 998.0]]))
    assert torch.isfinite(weights).all()
    expected = torch.softmax(torch.tensor([[2.0, 1.0, 0.0]]), -1)
    assert torch.allclose(weights, expected)


def test_concat_context():
    context, query = torch.ones(2, 3), torch.zeros(2, 4)
    assert concat_context(context, query).shape == (2, 7)


@pytest.mark.parametrize("module", [GeneralScore(5, 5), AdditiveScore(5, 5, 8), ScaledDotScore()])
def test_score_modules_shapes(module):
    query, keys, _, mask = random_inputs(3)
    assert module(query, keys).shape == (4, 3, 7)
    assert module(query[:, 0], keys).shape == (4, 7)
    context, weights = attend(query, keys, mask=mask, score=module)
    assert context.shape == (4, 3, 5) and weights.shape == (4, 3, 7)


def test_scaled_score_divides_by_sqrt_d():
    query, keys, _, _ = random_inputs(4)
    assert torch.allclose(ScaledDotScore()(query, keys), dot_product_scores(query, keys) / math.sqrt(5))


def test_additive_score_matches_formula():
    torch.manual_seed(0)
    module = AdditiveScore(3, 3, 4)
    query, keys = torch.randn(1, 3), torch.randn(1, 2, 3)
    expected = torch.stack([
        module.v(torch.tanh(module.query_proj(query[0]) + module.key_proj(keys[0, t]))).squeeze()
        for t in range(2)
    ])
    assert torch.allclose(module(query, keys)[0], expected, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# Bad input: the message names what was expected and what arrived.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "keys", "message"),
    [
        (torch.randn(2, 3, 4, 5), torch.randn(2, 6, 5), r"query must have shape .*got 4-D shape \(2, 3, 4, 5\)"),
        (torch.randn(2, 5), torch.randn(6, 5), r"keys must have shape \(batch, src_len, hidden\).*got 2-D shape \(6, 5\)"),
        (torch.randn(3, 5), torch.randn(2, 6, 5), r"same batch size: query has 3 .*keys have 2"),
        (torch.randn(2, 4), torch.randn(2, 6, 5), r"same hidden size: query has 4 .*keys have 5"),
        (torch.randn(2, 5), torch.randn(2, 0, 5), r"keys are empty: src_len is 0 in shape \(2, 0, 5\)"),
    ],
)
def test_bad_shapes_raise_value_error(query, keys, message):
    with pytest.raises(ValueError, match=message):
        attend(query, keys)


def test_non_tensor_raises_type_error():
    with pytest.raises(TypeError, match="query must be a torch.Tensor, got list"):
        dot_product_scores([[1.0, 2.0]], KEYS)


def test_mask_of_wrong_shape():
    with pytest.raises(ValueError, match=r"mask must have shape \(batch, src_len\) = \(1, 2\).*got \(1, 3\)"):
        attend(torch.randn(1, 3), KEYS, mask=torch.ones(1, 3, dtype=torch.bool))


def test_mask_of_wrong_dtype():
    with pytest.raises(TypeError, match="mask must be a bool tensor.*got dtype torch.float32"):
        attend(torch.randn(1, 3), KEYS, mask=torch.ones(1, 2))


def test_row_with_every_position_masked():
    mask = torch.tensor([[True, True], [False, False]])
    keys = KEYS.expand(2, -1, -1)
    with pytest.raises(ValueError, match="mask hides every key of batch row 1"):
        attend(torch.randn(2, 3), keys, mask=mask)


def test_values_of_wrong_shape():
    with pytest.raises(ValueError, match=r"values must have shape .*\(1, 2, \.\.\.\).*got \(1, 3, 4\)"):
        attend(torch.randn(1, 3), KEYS, values=torch.randn(1, 3, 4))


def test_weights_of_wrong_shape_for_values():
    with pytest.raises(ValueError, match=r"weights must have shape \(batch, src_len\) = \(1, 2\)"):
        weighted_values(torch.ones(1, 3), KEYS)


def test_context_and_query_must_align():
    with pytest.raises(ValueError, match=r"context has shape \(2, 3\), query has shape \(3, 4\)"):
        concat_context(torch.ones(2, 3), torch.ones(3, 4))
