"""The classic per-step attention decoder, as in the PyTorch seq2seq tutorial, for comparison.

Additive (Bahdanau) attention whose query is the *previous* decoder state, and whose context is
fed into the GRU's input: each step needs the state the step before produced, so training must
loop over target positions in Python, one GRU call per token. ``lib``'s Luong decoder attends
*after* the GRU step, so teacher-forced training runs the whole target in one call.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lib.attention import AdditiveScore, attend
from lib.data import PAD
from lib.models import Encoded


class ClassicAttentionDecoder(nn.Module):
    """Bahdanau-style decoder: attend with the previous state, feed the context to the GRU."""

    def __init__(self, vocab_size: int, embed_size: int, hidden_size: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=PAD)
        self.score = AdditiveScore(hidden_size, hidden_size, hidden_size)
        self.rnn = nn.GRU(embed_size + hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, vocab_size)

    def step(self, tokens: Tensor, hidden: Tensor, encoded: Encoded) -> tuple[Tensor, Tensor, Tensor]:
        """``tokens (B, 1)``, ``hidden (1, B, d)`` -> logits ``(B, 1, V)``, hidden, weights ``(B, 1, T)``."""
        context, weights = attend(hidden[0], encoded.states, mask=encoded.mask, score=self.score,
                                  check_all_masked=False)  # (B, d), (B, T)
        inputs = torch.cat([self.embedding(tokens), context.unsqueeze(1)], dim=-1)
        output, hidden = self.rnn(inputs, hidden)
        return self.out(output), hidden, weights.unsqueeze(1)

    def forward(self, target_in: Tensor, encoded: Encoded) -> tuple[Tensor, Tensor]:
        """Teacher forcing, one position at a time: the Python loop this course avoids."""
        hidden = encoded.final.unsqueeze(0)
        logits, weights = [], []
        for position in range(target_in.shape[1]):
            step_logits, hidden, step_weights = self.step(target_in[:, position:position + 1], hidden, encoded)
            logits.append(step_logits)
            weights.append(step_weights)
        return torch.cat(logits, 1), torch.cat(weights, 1)
