"""BRN007: a bidirectional RNN run one step at a time, carrying its state forward.

Online or streaming use feeds an RNN one step (or chunk) at a time and passes its state on. A
bidirectional RNN's backward direction then only ever sees the current step: the future it is
meant to read does not exist yet. Streaming needs a unidirectional RNN.

A training loop that detaches the state it carries (``h = h.detach()``, ``h.data``,
``repackage_hidden(h)``: truncated back-propagation through time) stays quiet: each call reads a
batch of whole sequences at once, and carrying the state from one batch to the next is a training
choice, not stepping one sequence through time (``truncated_bptt``).
"""

from __future__ import annotations

from collections.abc import Iterator

from lint_rules.rules.base import RawFinding, Rule, RuleContext

CODE = "BRN007"
NAME = "bidirectional-in-streaming"
SUMMARY = (
    "a bidirectional RNN called one step at a time in a loop that carries its state forward "
    "(online/streaming use): the backward direction cannot see the future"
)
MESSAGE = (
    "bidirectional `{rnn}` is called step by step in a loop that carries its state forward, so "
    "its backward direction never sees the future; use a unidirectional RNN for streaming, or "
    "run the bidirectional one over the whole sequence at once"
)

WRONG = (
    """
import torch
import torch.nn as nn


class StreamingRecognizer(nn.Module):
    def __init__(self, n_mels, hidden, n_tokens):
        super().__init__()
        self.rnn = nn.LSTM(n_mels, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, n_tokens)

    def stream(self, frames):
        state = None
        logits = []
        for t in range(frames.size(1)):
            step, state = self.rnn(frames[:, t:t + 1], state)
            logits.append(self.out(step))
        return torch.cat(logits, dim=1)
""",
    '''
import torch
import torch.nn as nn


class KeywordSpotter(nn.Module):
    """predict streams through the class's own step: the state goes round the loop."""

    def __init__(self, n_mels, hidden):
        super().__init__()
        self.rnn = nn.GRU(n_mels, hidden, bidirectional=True)
        self.out = nn.Linear(2 * hidden, 2)

    def step(self, chunk, h):
        out, h = self.rnn(chunk, h)
        return self.out(out), h

    def predict(self, frames, chunk=5):
        h = torch.zeros(2, 1, self.rnn.hidden_size)
        scores = []
        for start in range(0, frames.size(0), chunk):
            score, h = self.step(frames[start:start + chunk], h)
            scores.append(score)
        return scores
''',
)

RIGHT = (
    """
import torch.nn as nn


class Decoder(nn.Module):
    def __init__(self, vocab_size, hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, hidden_size)
        self.rnn = nn.LSTM(hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, vocab_size)

    def greedy(self, token, hidden, steps):
        tokens = []
        for _ in range(steps):
            output, hidden = self.rnn(self.embedding(token), hidden)
            token = self.out(output).argmax(-1)
            tokens.append(token)
        return tokens
""",
    '''
import torch.nn as nn


class SentenceEncoder(nn.Module):
    """A bidirectional RNN in a loop over independent sentences carries no state: fine."""

    def __init__(self, embed_dim, hidden):
        super().__init__()
        self.rnn = nn.GRU(embed_dim, hidden, bidirectional=True)

    def forward(self, sentences):
        summaries = []
        for sentence in sentences:
            out, h_n = self.rnn(sentence)
            summaries.append(out.mean(0))
        return summaries
''',
    '''
import torch
import torch.nn as nn


class KeywordSpotter(nn.Module):
    """Each window starts from a fresh state: the step's state is not carried round the loop."""

    def __init__(self, n_mels, hidden):
        super().__init__()
        self.rnn = nn.GRU(n_mels, hidden, bidirectional=True)
        self.out = nn.Linear(2 * hidden, 2)

    def step(self, chunk, h):
        out, h = self.rnn(chunk, h)
        return self.out(out), h

    def predict(self, frames, window=40):
        h0 = torch.zeros(2, 1, self.rnn.hidden_size)
        scores = []
        for start in range(0, frames.size(0), window):
            score, h = self.step(frames[start:start + window], h0)
            scores.append(score)
        return scores
''',
    '''
import torch
import torch.nn as nn


class ChunkedTagger(nn.Module):
    """Two passes over the chunks through the class's own step, the second one backwards from
    a fresh state: it rewrites the backward half, so each step sees the whole sequence."""

    def __init__(self, n_features, hidden):
        super().__init__()
        self.rnn = nn.GRU(n_features, hidden, bidirectional=True)

    def step(self, chunk, h):
        return self.rnn(chunk, h)

    def tag(self, chunks):
        h = None
        forward = []
        for chunk in chunks:
            out, h = self.step(chunk, h)
            forward.append(out)
        h = None
        backward = []
        for chunk in reversed(chunks):
            out, h = self.step(chunk, h)
            backward.insert(0, out)
        return forward, backward
''',
)


def _two_pass(calls) -> set[int]:
    """Chunked bidirectional inference: the same RNN carried over the chunks forwards, then
    (state reset) backwards, the second pass rewriting the backward half. Both passes are right."""
    passes: dict[tuple[int, int], set[bool]] = {}
    for call in calls:
        if call.carried and call.in_loop:
            passes.setdefault((id(call.scope), id(call.site.rnn)), set()).add(call.reversed_loop)
    return {key[1] for key, directions in passes.items() if directions == {True, False}}


def check(context: RuleContext) -> Iterator[RawFinding]:
    two_pass = _two_pass(context.events.calls)
    for call in context.events.calls:
        if not call.carried or call.site.bidirectional is not True:
            continue
        if id(call.site.rnn) in two_pass:
            continue
        message = MESSAGE.format(rnn=call.site.rnn.label)
        if call.carried_by:
            where = "in" if call.carried_by.startswith("`") else "at"  # a method of the class
            message += f"; the loop that carries the state is {where} {call.carried_by}"
        yield RawFinding(call.site.node, message, origin=call.site.rnn.origin)


NOTES = (
    "the loop may be in another module: a module whose method hands its state parameter to the "
    "RNN, called elsewhere in the project in a loop that takes the new state back, is reported at "
    "its RNN call with the loop's place; so is a method whose state parameter goes to the RNN "
    "when another method of the same class calls it in such a loop (`predict` streaming "
    "through `out, h = self.step(chunk, h)`), named with that method. Chunked two-pass "
    "inference (a forward pass over the "
    "chunks carrying the state, then a reversed pass that rewrites the backward half) is right "
    "and stays quiet, in a loop of its own or through the class's own step method. A loop in "
    "another module (or at a notebook's top level) that detaches the state it carries before "
    "each call (`h = h.detach()`, `tuple(e.data for e in h)`, `repackage_hidden(h)`) trains "
    "over batches of whole sequences (truncated back-propagation through time) and stays quiet"
)

RULE = Rule(CODE, NAME, SUMMARY, MESSAGE, False, "", WRONG, RIGHT, check, notes=NOTES)
