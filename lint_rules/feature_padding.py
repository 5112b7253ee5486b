"""Padding that lands on an RNN's feature axis, not its time axis: a raw waveform padded to
``wav_length`` samples and fed to ``nn.LSTM(input_size=wav_length)`` as one step of 16000
features. Padding there gives no step of padding for a direction to start on.

The signal is cheap and general: the length a pad call pads to (``F.pad(x, (0, length -
x.size(1)))`` with ``length = self.wav_length``) has the name of what the same program gives an
RNN as its input size: ``nn.LSTM(wav_length, ...)`` itself, or the model's constructor argument
that reaches its RNN's input size (``nn.LSTM(input_size, ...)`` in ``AudioLSTM.__init__(self,
input_size, ...)``, built as ``AudioLSTM(params["input_size"])`` with ``{"input_size":
dataset.wav_length}``). Only what reaches an RNN counts: a model's ``input_size=max_len`` that
its ``nn.LSTM(embedding_dim, ...)`` never sees says nothing of the RNN's features. Names are
compared by their last parts (``wav_length``); literals are not compared.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from lint_rules.ast_names import last_name
from lint_rules.hand_padding import padded_lengths

_RNN_CLASSES = frozenset(("LSTM", "GRU", "RNN"))
# The node types ``read_scope`` asks a scope for.
FEATURE_PADDING_TYPES = (ast.Assign, ast.Call, ast.Dict)


def read_scope(nodes: Iterable[ast.AST], summary, owner: str | None) -> None:
    """Add one scope's padded lengths, RNN input sizes (with ``owner``, the class whose body
    or method this scope is), model arguments and keyed values to a ``ModuleSummary``."""
    nodes = list(nodes)
    summary.padded_lengths.extend(padded_lengths(nodes))
    for node in nodes:
        if isinstance(node, ast.Call):
            _call(node, summary, owner or "")
        elif isinstance(node, ast.Dict):
            summary.keyed_values.update(
                (key.value, name)
                for key, value in zip(node.keys, node.values)
                if isinstance(key, ast.Constant) and isinstance(key.value, str)
                if (name := last_name(value))
            )
        elif isinstance(node, ast.Assign) and (name := last_name(node.value)):
            for target in node.targets:
                key = target.slice if isinstance(target, ast.Subscript) else None
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    summary.keyed_values.add((key.value, name))  # params["input_size"] = n


def _call(call: ast.Call, summary, owner: str) -> None:
    """An RNN's input size (``nn.LSTM(input_size, ...)``), or a call's arguments by position
    and keyword as (callee, key, kind, value): a name's last part, or a dict entry's key."""
    callee = last_name(call.func)
    if callee in _RNN_CLASSES:
        given = call.args[:1] + [k.value for k in call.keywords if k.arg == "input_size"]
        summary.rnn_inputs.update((owner, name) for value in given if (name := last_name(value)))
        return
    if not callee:
        return
    arguments = [(str(position), value) for position, value in enumerate(call.args)]
    arguments += [(k.arg, k.value) for k in call.keywords if k.arg]
    for key, value in arguments:
        if name := last_name(value):
            summary.model_arguments.append((callee, key, "name", name))
        elif isinstance(value, ast.Subscript) and isinstance(value.slice, ast.Constant):
            if isinstance(value.slice.value, str):
                summary.model_arguments.append((callee, key, "key", value.slice.value))


def pads_features(index, padder: str, line: int) -> bool:
    """The padding at ``padder:line`` pads to a length that ``padder``'s program gives an
    RNN as its input size: the padded axis is the features of each step."""
    summary = index.summaries[padder]
    lengths = {name for at, name in summary.padded_lengths if at == line}
    if not lengths:
        return False
    program = sorted({padder} | index.program_of(padder))
    for path in program:
        for owner, name in index.summaries[path].rnn_inputs:
            if name in lengths:
                return True  # nn.LSTM(wav_length, ...)
            if owner and _given(index, program, path, owner, name) & lengths:
                return True
    return False


def _given(index, program: list[str], path: str, owner: str, parameter: str) -> set[str]:
    """The names the program's calls of ``owner`` give its ``__init__``'s ``parameter``, by
    keyword or position, a dict entry read through its key's values (``params["input_size"]``
    with ``{"input_size": dataset.wav_length}`` in the same module)."""
    classes = [item for item in index.summaries[path].classes if item.name == owner]
    if not classes or parameter not in classes[0].parameters:
        return set()
    keys = {parameter, str(classes[0].parameters.index(parameter))}
    found: set[str] = set()
    for caller in program:
        summary = index.summaries[caller]
        for callee, key, kind, value in summary.model_arguments:
            if callee != owner or key not in keys:
                continue
            if kind == "name":
                found.add(value)
            else:
                found.update(name for entry, name in summary.keyed_values if entry == value)
    return found
