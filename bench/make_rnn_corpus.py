"""Generate an RNN-dense tree of model files for bench/lint_speed.py (default: bench/_work/rnn_corpus).

Every file defines bidirectional (and some unidirectional) RNN models in the shapes real projects
use: taggers, encoders, classifiers, with the right and the wrong way of building h0, sizing the
head and summarising the sequence. Names vary (hidden_size / hidden_dim / n_hidden, self.rnn /
self.lstm / self.encoder ...) so the analysis sees varied code rather than one file repeated.
The rules' own wrong and right examples (``lint_rules.rules.ALL_RULES``) are added when present.

    python bench/make_rnn_corpus.py [--lines 60000] [--out bench/_work/rnn_corpus]
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

HEADERS = [
    "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n",
    "import torch\nfrom torch import nn\nfrom torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence\n",
    "import torch\nimport torch.nn as nn\nfrom torch.nn import LSTM, GRU\n",
]

TAGGER = '''

class {cls}(nn.Module):
    """A bidirectional {kind} tagger over token embeddings."""

    def __init__(self, vocab_size, {emb}=128, {hid}=256, {layers}=2, num_tags=17, dropout=0.3):
        super().__init__()
        self.{hid} = {hid}
        self.{layers} = {layers}
        self.embedding = nn.Embedding(vocab_size, {emb}, padding_idx=0)
        self.{rnn} = nn.{kind}({emb}, {hid}, num_layers={layers}, batch_first=True,
                             bidirectional=True, dropout=dropout)
        self.dropout = nn.Dropout(dropout)
        self.{head} = nn.Linear({head_in}, num_tags)

    def {init}(self, batch_size, device):
        h0 = torch.zeros({h0_first}, batch_size, self.{hid}, device=device)
        return {h0_return}

    def forward(self, tokens, lengths):
        embedded = self.dropout(self.embedding(tokens))
        packed = nn.utils.rnn.pack_padded_sequence(
            embedded, lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        state = self.{init}(tokens.size(0), tokens.device)
        output, _ = self.{rnn}(packed, state)
        output, _ = nn.utils.rnn.pad_packed_sequence(output, batch_first=True)
        return self.{head}(self.dropout(output))
'''

CLASSIFIER = '''

class {cls}(nn.Module):
    """Sentence classifier: a bidirectional {kind} and a summary of the sequence."""

    def __init__(self, input_size, {hid}, num_classes, {layers}=1):
        super().__init__()
        self.{rnn} = nn.{kind}(input_size, {hid}, {layers}, bidirectional=True)
        self.{head} = nn.Linear({hid} * 2, num_classes)

    def forward(self, inputs):
        outputs, {state_target} = self.{rnn}(inputs)
        summary = {summary}
        return self.{head}(summary)
'''

ENCODER = '''

class {cls}(nn.Module):
    """Encoder of a sequence-to-sequence model; the decoder is unidirectional."""

    def __init__(self, {emb}, {hid}, {layers}=2):
        super().__init__()
        self.{rnn} = nn.{kind}({emb}, {hid} // 2, num_layers={layers}, bidirectional=True)
        self.decoder = nn.{kind}({emb}, {hid}, num_layers={layers})
        self.bridge = nn.Linear({hid}, {hid})

    def encode(self, source):
        memory, hidden = self.{rnn}(source)
        return memory, hidden

    def decode(self, target, hidden):
        outputs = []
        for step in range(target.size(0)):
            out, hidden = self.decoder(target[step : step + 1], hidden)
            outputs.append(out[-1])
        return torch.stack(outputs)
'''

STATE_SPLIT = '''

def {func}(h_n, {layers}, batch_size, {hid}):
    """Per-layer, per-direction view of the final states of a bidirectional RNN."""
    states = h_n.view({view_args}, batch_size, {hid})
    forward_last = states[-1, 0]
    backward_last = states[-1, 1]
    return torch.cat([forward_last, backward_last], dim=-1)
'''

PLAIN = '''

def {func}(model, loader, optimizer, epochs=3):
    """An ordinary training loop: no RNN-specific code, as most of a project is."""
    model.train()
    for epoch in range(epochs):
        total = 0.0
        for batch, target in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(batch), target)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            total += loss.item()
        print(f"epoch {{epoch}}: loss {{total / max(len(loader), 1):.4f}}")
    return model
'''

NAMES = {
    "hid": ["hidden_size", "hidden_dim", "n_hidden", "rnn_hidden", "hid_dim"],
    "emb": ["embedding_dim", "emb_dim", "input_dim", "embed_size"],
    "layers": ["num_layers", "n_layers", "layers", "depth"],
    "rnn": ["rnn", "lstm", "encoder", "bilstm", "gru", "recurrent"],
    "head": ["fc", "classifier", "out", "hidden2tag", "proj"],
    "init": ["init_hidden", "initial_state", "zero_state", "begin_state"],
}


def _names(rng: random.Random) -> dict[str, str]:
    return {key: rng.choice(values) for key, values in NAMES.items()}


def _tagger(rng: random.Random, index: int) -> str:
    names = _names(rng)
    kind = rng.choice(["LSTM", "GRU"])
    right_h0 = rng.random() < 0.6
    h0_first = rng.choice(
        [f"self.{names['layers']} * 2", f"2 * self.{names['layers']}"]
        if right_h0
        else [f"self.{names['layers']}", "1"]
    )
    head_in = f"self.{names['hid']} * 2" if rng.random() < 0.6 else names["hid"]
    h0_return = "(h0, torch.zeros_like(h0))" if kind == "LSTM" else "h0"
    return TAGGER.format(
        cls=f"{kind}Tagger{index}",
        kind=kind,
        h0_first=h0_first,
        head_in=head_in,
        h0_return=h0_return,
        **names,
    )


def _classifier(rng: random.Random, index: int) -> str:
    names = _names(rng)
    kind = rng.choice(["LSTM", "GRU", "RNN"])
    state = "(h_n, c_n)" if kind == "LSTM" else "h_n"
    summary = rng.choice(
        [
            "torch.cat((h_n[-2], h_n[-1]), dim=1)",
            "outputs.mean(dim=0)",
            "outputs.max(dim=0).values",
            "h_n[-1]",
            "outputs[-1]",
            f"torch.cat([outputs[-1, :, : self.{names['rnn']}.hidden_size], "
            f"outputs[0, :, self.{names['rnn']}.hidden_size :]], dim=-1)",
        ]
    )
    return CLASSIFIER.format(
        cls=f"{kind}Classifier{index}", kind=kind, state_target=state, summary=summary, **names
    )


def _encoder(rng: random.Random, index: int) -> str:
    return ENCODER.format(
        cls=f"Seq2SeqEncoder{index}", kind=rng.choice(["LSTM", "GRU"]), **_names(rng)
    )


def _state_split(rng: random.Random, index: int) -> str:
    names = _names(rng)
    view_args = rng.choice([f"{names['layers']}, 2", f"2, {names['layers']}"])
    return STATE_SPLIT.format(func=f"final_states_{index}", view_args=view_args, **names)


def _plain(rng: random.Random, index: int) -> str:
    return PLAIN.format(func=f"train_{index}")


def _rule_examples() -> list[str]:
    """The rules' wrong and right examples, when the rules are installed."""
    try:
        from lint_rules.rules import ALL_RULES
    except ImportError:
        return []
    examples = []
    for rule in ALL_RULES:
        examples.extend(getattr(rule, "wrong_examples", ()))
        examples.extend(getattr(rule, "right_examples", ()))
    return [example if isinstance(example, str) else str(example) for example in examples]


def make_corpus(out: Path, target_lines: int, seed: int = 0) -> tuple[int, int]:
    """Write the tree; returns (files, lines)."""
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    pieces = [_tagger, _classifier, _encoder, _state_split, _plain]
    lines = files = 0
    for example_index, example in enumerate(_rule_examples()):
        path = out / "rule_examples" / f"example_{example_index:04d}.py"
        path.parent.mkdir(exist_ok=True)
        text = example if example.endswith("\n") else example + "\n"
        path.write_text(text)
        lines += text.count("\n")
        files += 1
    index = 0
    while lines < target_lines:
        package = out / f"models_{files // 50:03d}"
        package.mkdir(exist_ok=True)
        body = [rng.choice(HEADERS)]
        for _ in range(rng.randint(3, 8)):
            body.append(rng.choice(pieces)(rng, index))
            index += 1
        text = "".join(body)
        (package / f"model_{files:04d}.py").write_text(text)
        lines += text.count("\n")
        files += 1
    return files, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=60_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "_work" / "rnn_corpus")
    arguments = parser.parse_args()
    files, lines = make_corpus(arguments.out, arguments.lines)
    print(f"wrote {files} files, {lines} lines under {arguments.out}")


if __name__ == "__main__":
    main()
