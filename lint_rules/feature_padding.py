"""Padding that lands on an RNN's feature axis, not its time axis: a raw waveform padded to
``wav_length`` samples and fed to ``nn.LSTM(input_size=wav_length)`` as one step of 16000
features. Padding there gives no step of padding for a direction to start on.

The signal is cheap and general: the length a pad call pads to (``F.pad(x, (0, length -
x.size(1)))`` with ``length = self.wav_length``) has the name that the same program gives an
input size (``nn.LSTM(wav_length, ...)``, ``input_size=n_samples``, ``{"input_size":
dataset.wav_length}``, ``self.input_dim = cfg.wav_length``): the padded axis is as long as each
step's features. Only names are compared, their last parts (``wav_length``): a literal
(``input_size=40``) equal to a literal length may be a coincidence.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from lint_rules.ast_names import dotted
from lint_rules.hand_padding import padded_lengths

# What an RNN's (or a model's) input size is called, as a keyword, a dict key or a name.
INPUT_SIZE_NAMES = frozenset(("input_size", "input_dim", "n_input", "num_inputs"))
_RNN_CLASSES = frozenset(("LSTM", "GRU", "RNN"))
# The node types ``read_scope`` asks a scope for.
FEATURE_PADDING_TYPES = (ast.Assign, ast.Call, ast.Dict)


def read_scope(nodes: Iterable[ast.AST], summary) -> None:
    """Add one scope's padded lengths and input-size names to a ``ModuleSummary``."""
    nodes = list(nodes)
    summary.padded_lengths.extend(padded_lengths(nodes))
    summary.input_sizes.update(input_size_names(nodes))


def input_size_names(nodes: Iterable[ast.AST]) -> set[str]:
    """The last names of the values given as an input size: ``nn.LSTM(wav_length, ...)``'s
    first argument, ``input_size=x.n_samples``, ``{"input_size": dataset.wav_length}``,
    ``input_size = cfg.wav_length``, ``params["input_size"] = wav_length``."""
    found: set[str] = set()
    for node in nodes:
        values: list[ast.AST] = []
        if isinstance(node, ast.Call):
            values += [k.value for k in node.keywords if k.arg in INPUT_SIZE_NAMES]
            if _last(node.func) in _RNN_CLASSES and node.args:
                values.append(node.args[0])
        elif isinstance(node, ast.Dict):
            values += [
                value
                for key, value in zip(node.keys, node.values)
                if isinstance(key, ast.Constant) and key.value in INPUT_SIZE_NAMES
            ]
        elif isinstance(node, ast.Assign):
            if any(_input_size_target(target) for target in node.targets):
                values.append(node.value)
        found.update(name for value in values if (name := _last(value)))
    return found


def pads_features(index, padder: str, line: int) -> bool:
    """The padding at ``padder:line`` pads to a length that ``padder``'s program gives an
    input size by name: the padded axis is the features of each step."""
    summary = index.summaries[padder]
    lengths = {name for at, name in summary.padded_lengths if at == line}
    if not lengths:
        return False
    program = {padder} | index.program_of(padder)
    return any(lengths & index.summaries[path].input_sizes for path in program)


def _input_size_target(target: ast.AST) -> bool:
    """``input_size``, ``self.input_dim``, ``params["input_size"]``."""
    if isinstance(target, ast.Subscript):
        key = target.slice
        return isinstance(key, ast.Constant) and key.value in INPUT_SIZE_NAMES
    name = dotted(target) or ""
    return name.rsplit(".", 1)[-1] in INPUT_SIZE_NAMES


def _last(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""
