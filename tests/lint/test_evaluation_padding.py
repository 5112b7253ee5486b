"""Padding that serves evaluation (``evaluation_padding``): predictions and targets padded to
score them never reach a model, so they are no evidence for BRN005; padding that is returned,
stored or handed to a model (a collate function's batch, teacher-forced targets) is."""

from __future__ import annotations

import pytest

from lint_rules.project_index import summarise

SCORED = [
    # padded only to build a confusion matrix (a metric object called directly)
    "def test_epoch_end(self, outs):\n"
    "    outputs = [o['outputs'] for o in outs]\n"
    "    padded = pad_sequence(outputs, batch_first=True).to(self.device)\n"
    "    self.test_confusion_matrix(padded, self.targets)\n",
    # CTC targets padded inline as a loss argument
    "def step(model, images, labels):\n"
    "    logits = model(images)\n"
    "    return criterion(logits, pad_sequence(labels, batch_first=True))\n",
    # measured, compared and printed only
    "def report(preds, targets):\n"
    "    padded = pad_sequence(targets, batch_first=True)\n"
    "    print(padded.size(1), len(padded))\n"
    "    return (padded == preds).float().mean()\n",
    # decoded predictions padded for an accuracy and returned with the outputs
    "def test_step(self, batch):\n"
    "    results = self.step(batch)\n"
    "    preds = results['logits'].argmax(-1)\n"
    "    decoded = [self.converter.decode(preds[i]) for i in range(len(preds))]\n"
    "    encoded = pad_sequence([self.converter.encode(d) for d in decoded], batch_first=True)\n"
    "    self.test_accuracy.update(encoded, batch[1])\n"
    "    return {'outputs': encoded}\n",
    # a CRF's decoded paths padded for an accuracy
    "def evaluate(self, tokens, labels):\n"
    "    paths = self.crf.viterbi_decode(self.model(tokens))\n"
    "    padded = pad_sequence([torch.tensor(p) for p in paths], batch_first=True)\n"
    "    self.scores.append(accuracy_fn(labels, padded))\n"
    "    return padded\n",
]

FED = [  # (code, the padding's line)
    (  # a collate function's batch
        "def collate(batch):\n"
        "    xs = [item[0] for item in batch]\n"
        "    padded = pad_sequence(xs, batch_first=True)\n"
        "    return padded, torch.tensor([len(x) for x in xs])\n",
        3,
    ),
    (  # targets padded for a decoder's teacher forcing, also scored by the loss
        "def train_step(model, src, targets):\n"
        "    trg = pad_sequence(targets, batch_first=True)\n"
        "    out = model(src, trg[:, :-1])\n"
        "    return criterion(out, trg[:, 1:])\n",
        2,
    ),
    (  # targets handed to a decoder's own loss method, which teacher-forces them
        "def cal_loss(self, source, targets):\n"
        "    padded = pad_sequence(targets, batch_first=True).to(device)\n"
        "    return self.decoder.cal_loss(self.encoder(source), padded, teacher_force=True)\n",
        2,
    ),
    (  # padded inline as the model's argument, inside a loss call
        "def run(model, xs):\n    return criterion(model(pad_sequence(xs)), 0)\n",
        2,
    ),
    (  # predictions padded and handed on to a rescoring model
        "def rescore(self, logits):\n"
        "    hyps = [self.tokenizer.encode(h) for h in logits.argmax(-1)]\n"
        "    padded = pad_sequence(hyps, batch_first=True)\n"
        "    return self.rescorer(padded)\n",
        3,
    ),
    (  # text decoded from bytes is data, not predictions
        "def load(lines):\n"
        "    ids = [encode(line.decode('utf-8')) for line in lines]\n"
        "    padded = pad_sequence(ids, batch_first=True)\n"
        "    return padded\n",
        3,
    ),
    (  # logged, and also moved on: the move hands it on
        "def batch(self, xs):\n"
        "    padded = pad_sequence(xs)\n"
        "    self.log('len', padded.size(0))\n"
        "    self.x = padded.to(self.device)\n",
        2,
    ),
]


@pytest.mark.parametrize("code", SCORED)
def test_padding_that_only_serves_evaluation_is_not_padding(code):
    assert summarise("train.py", code).padding == []


@pytest.mark.parametrize(("code", "line"), FED)
def test_padding_that_can_reach_a_model_stays_padding(code, line):
    assert [found for found, _ in summarise("data.py", code).padding] == [line]
