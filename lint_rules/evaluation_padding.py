"""Padding that serves evaluation, not the model: what is padded there never becomes a model's
input, so it is no evidence that a bidirectional RNN reads padded batches (BRN005).

Two kinds, read in the scope (one function) that pads:

- padding whose result is only scored, printed or measured: every read of the padded name
  (or the padding call itself, written inline) is an argument of a loss, metric or printing
  call (``criterion(out, padded)``, ``self.test_confusion_matrix(preds, targets)``,
  ``accuracy_fn(y, padded)``, ``print(padded)``), an operand of a comparison
  (``padded == y``), or a measure of it (``padded.size(1)``, ``padded.tolist()``,
  ``len(padded)``, ``padded.shape``); CTC targets and metric inputs are padded this way;
- padding of the model's own predictions: the padded elements derive, in the same scope, from
  an ``argmax``, a decoding call (``crf.decode(...)``, ``converter.decode(preds[i])``) or a
  model call (``self.model(tokens)``), and the padded value is never handed to another call
  but a scoring one (returning it, or storing it with the outputs, is allowed): predictions
  padded to compare them with the targets. Padded predictions handed on (to a rescoring model,
  ``torch.cat``) stay padding.

Padding that is returned, stored or passed to any other call stays evidence: a collate
function's batch, a dataset's item, targets padded for a decoder's teacher forcing
(``model(src, padded_targets)``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from lint_rules.ast_names import dotted

# The node types ``evaluation_padding_lines`` reads: a caller with nodes filed by type passes these.
EVALUATION_PADDING_TYPES = (ast.Assign, ast.For, ast.Call, ast.Attribute, ast.Compare, ast.Name)

# Words of a callee's name (split on dots, underscores and case) that score, print or log.
_SCORING_WORDS = frozenset(
    ("loss", "criterion", "accuracy", "acc", "metric", "metrics", "score", "f1", "precision")
    + ("recall", "confusion", "cer", "wer", "bleu", "levenshtein", "edit", "distance", "print")
    + ("logger", "logging", "error")
)
# Modules whose functions score or compute, never run a project's model.
_LIBRARIES = frozenset(
    ("torch", "np", "numpy", "math", "F", "tf", "nn", "sklearn", "metrics", "torchmetrics")
    + ("jiwer", "editdistance", "Levenshtein", "nltk")
)
# Methods and functions that measure a value without handing its steps on.
_MEASURES = frozenset(("size", "dim", "numel", "tolist", "item", "len", "shape"))
# Methods that move or convert the padded value where it is made (``pad_sequence(...).to(d)``).
_KEEPERS = frozenset(("to", "cuda", "cpu", "long", "float", "int", "detach", "numpy"))
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def evaluation_padding_lines(nodes: Iterable[ast.AST], padding_lines: Iterable[int]) -> set[int]:
    """The lines among ``padding_lines`` (padding the scope of ``nodes`` wrote) whose padded
    value serves evaluation only (see the module's docstring)."""
    nodes = list(nodes)
    uses = _uses(nodes)
    predicted = _predicted_names(nodes)
    found: set[int] = set()
    for line in padding_lines:
        if _inline_scored(nodes, line):
            found.add(line)
            continue
        binding = _binding(nodes, line)
        if binding is None:
            continue
        name, value = binding
        own = {id(part) for part in ast.walk(value)}
        kinds = [kind for node, kind in uses if node.id == name and id(node) not in own]
        if not kinds:
            continue
        if all(kind == "scored" for kind in kinds):
            found.add(line)
        elif "handed" not in kinds and _reads_predictions(value, predicted):
            found.add(line)
    return found


def _words(name: str) -> set[str]:
    return {word.lower() for part in re.split(r"[._]", name) for word in _WORD.findall(part)}


def _scoring(call: ast.Call) -> bool:
    """A loss, metric or printing call: a function, ``self``'s or a library's callable named
    for scoring (``criterion``, ``accuracy_fn``, ``self.ctc_loss``, ``F.ctc_loss``), or any
    method of an object named so (``self.test_accuracy.update``, ``logger.info``). A
    scoring method of another object (``self.decoder.cal_loss``, ``model.loss``) may run that
    model on its arguments: teacher-forced targets go in there. ``log`` only as a logger's
    (``self.log``), not ``torch.log``."""
    name = dotted(call.func) or ""
    owner, _, last = name.rpartition(".")
    if last == "log" and owner not in _LIBRARIES:
        return True
    if _words(owner.rpartition(".")[2]) & _SCORING_WORDS:
        return True
    if not owner or owner == "self" or owner.split(".", 1)[0] in _LIBRARIES:
        return bool(_words(last) & _SCORING_WORDS)
    return False


def _core(node: ast.expr) -> ast.expr:
    """``pad(...)`` of ``pad(...).to(device).long()``."""
    while (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _KEEPERS
    ):
        node = node.func.value
    return node


def _binding(nodes: list[ast.AST], line: int) -> tuple[str, ast.expr] | None:
    """(name, value) of ``name = <padding at line>``."""
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and _core(node.value).lineno == line:
                return target.id, node.value
    return None


def _inline_scored(nodes: list[ast.AST], line: int) -> bool:
    """The padding call is itself an argument of a scoring call: ``ctc(out, pad(targets))``."""
    for node in nodes:
        if isinstance(node, ast.Call) and _scoring(node):
            for argument in (*node.args, *(keyword.value for keyword in node.keywords)):
                core = _core(argument)
                if isinstance(core, ast.Call) and core.lineno == line and _pads(core):
                    return True
    return False


def _pads(call: ast.Call) -> bool:
    """A padding call by name (``pad_sequence``, ``pad_sequences``, ``F.pad``), not a model
    call that pads inside it: ``criterion(model(pad_sequence(xs)), y)`` feeds the model."""
    return "pad" in _words(dotted(call.func) or "")


def _uses(nodes: list[ast.AST]) -> list[tuple[ast.Name, str]]:
    """Each read of a name with what reads it: "scored" (a scoring call's argument, a
    comparison's operand, a measure), "handed" (another call's argument, or the receiver of
    another method), "other" (returned, stored, anything else)."""
    kind_of: dict[int, str] = {}
    for node in nodes:
        if isinstance(node, ast.Call):
            kind = "scored" if _scoring(node) or dotted(node.func) == "len" else "handed"
            for argument in (*node.args, *(keyword.value for keyword in node.keywords)):
                for name in _names_in(argument):
                    kind_of.setdefault(id(name), kind)
            method = node.func
            if isinstance(method, ast.Attribute) and isinstance(method.value, ast.Name):
                measured = method.attr in _MEASURES
                kind_of.setdefault(id(method.value), "scored" if measured else "handed")
        elif isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                if isinstance(operand, ast.Name):
                    kind_of.setdefault(id(operand), "scored")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.attr == "shape":
                kind_of.setdefault(id(node.value), "scored")
    return [
        (node, kind_of.get(id(node), "other"))
        for node in nodes
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    ]


def _names_in(argument: ast.AST) -> list[ast.Name]:
    """The names an argument carries (``x``, ``x[:, 1:]``, ``(x, y)``, ``x.T``), not those of
    calls inside it, which are read by those calls."""
    found, pending = [], [argument]
    while pending:
        part = pending.pop()
        if isinstance(part, ast.Name):
            found.append(part)
        elif not isinstance(part, ast.Call):
            pending.extend(ast.iter_child_nodes(part))
    return found


def _predicted_names(nodes: list[ast.AST]) -> set[str]:
    """Names the scope binds, directly or through other names, to predictions: an
    ``argmax``, a decoding call or a model call's result."""
    sources: dict[str, set[str]] = {}
    predicted: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.For):
            targets, value = [node.target], node.iter
        else:
            continue
        bound = [
            name.id for target in targets for name in ast.walk(target) if isinstance(name, ast.Name)
        ]
        read = {name.id for name in ast.walk(value) if isinstance(name, ast.Name)}
        for name in bound:
            sources.setdefault(name, set()).update(read)
            if _predicts(value):
                predicted.add(name)
    changed = True
    while changed:
        changed = False
        for name, read in sources.items():
            if name not in predicted and read & predicted:
                predicted.add(name)
                changed = True
    return predicted


def _predicts(value: ast.AST) -> bool:
    """``value`` calls an ``argmax``, a decoder (with something to decode, not
    ``line.decode('utf-8')``) or a model (``model(x)``, ``self.model(x)``, ``pre_model(x)``)."""
    for part in ast.walk(value):
        if isinstance(part, ast.Call):
            last = (dotted(part.func) or "").rsplit(".", 1)[-1].lower()
            if last.endswith(("argmax", "model")):
                return True
            if last.endswith("decode") and any(
                not isinstance(argument, ast.Constant) for argument in part.args
            ):
                return True
    return False


def _reads_predictions(value: ast.AST, predicted: set[str]) -> bool:
    return _predicts(value) or any(
        isinstance(name, ast.Name) and name.id in predicted for name in ast.walk(value)
    )
