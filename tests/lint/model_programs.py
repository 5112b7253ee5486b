"""Hypothesis strategies that draw model-shaped Python: PyTorch modules with RNNs, the way people
write them, wrong and right.

Each draw is a whole module: imports in one of torch.nn's import forms, an ``nn.Module`` with an
LSTM/GRU/RNN whose direction flag is a literal, a module constant or a constructor default, an
initial state built one of several ways (some missing the directions: BRN001), a head sized for
H or 2H (BRN002), a sequence summary (``h_n[-1]``, ``out[:, -1]``, pooled, concatenated
directions), sometimes packing or a step-by-step loop. Names, indentation, argument layout,
comments and nesting vary, so that the fuzz tests see the rules' patterns in shapes their
examples do not have.
"""

from __future__ import annotations

import keyword

from hypothesis import strategies as st

RNN_KINDS = ("LSTM", "GRU", "RNN")

_words = st.sampled_from(
    [
        "hidden",
        "enc",
        "rnn",
        "lstm",
        "gru",
        "layer",
        "size",
        "dim",
        "out",
        "model",
        "bi",
        "net",
        "state",
        "seq",
        "feat",
        "emb",
        "num",
        "n",
        "x",
        "tag",
        "head",
        "proj",
        "h",
        "c",
        "ctx",
    ]
)


@st.composite
def identifiers(draw, prefix: str = "") -> str:
    """A snake_case name such as ``enc_hidden_2``; never a keyword or a builtin we rely on."""
    parts = draw(st.lists(_words, min_size=1, max_size=3))
    suffix = draw(st.sampled_from(["", "", "_", "2", "_1"]))
    name = prefix + "_".join(parts) + suffix
    if keyword.iskeyword(name) or name in {"self", "torch", "nn", "x", "super", "len", "range"}:
        name = "v_" + name
    return name


def class_names() -> st.SearchStrategy[str]:
    return st.builds(
        lambda first, second: first + second,
        st.sampled_from(["Bi", "Seq", "Speech", "Text", "Frame", "Tag", "Sent"]),
        st.sampled_from(["Encoder", "Tagger", "Classifier", "Model", "Net", "RNN"]),
    )


def comments() -> st.SearchStrategy[str]:
    """Comment text: any printable characters, sometimes a noqa or code-looking text."""
    free_text = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=24)
    return st.one_of(
        free_text,
        st.sampled_from(
            [
                "noqa",
                "noqa: BRN001",
                "noqa: BRN002,BRN003",
                "TODO: torch.zeros(num_layers, b, h)",
                "nn.Linear(hidden, 2)",
                "type: ignore",
                "é ü 中文",
                "( [ {",
            ]
        ),
    )


@st.composite
def torch_imports(draw, kind: str) -> tuple[list[str], str]:
    """Import lines and the expression that names the RNN class in the code."""
    form = draw(st.sampled_from(["nn", "from_torch", "alias", "direct", "dotted"]))
    lines = ["import torch"]
    if form == "nn":
        lines.append("import torch.nn as nn")
        return lines, f"nn.{kind}"
    if form == "from_torch":
        lines.append("from torch import nn")
        return lines, f"nn.{kind}"
    if form == "alias":
        lines.append("import torch.nn as tnn")
        lines.append("nn = tnn")
        return lines, f"tnn.{kind}"
    if form == "direct":
        alias = draw(st.sampled_from([kind, f"Bi{kind}", "Recurrent"]))
        lines.append("import torch.nn as nn")
        lines.append(f"from torch.nn import {kind}" + (f" as {alias}" if alias != kind else ""))
        return lines, alias
    lines.append("import torch.nn as nn")
    return lines, f"torch.nn.{kind}"


def layouts() -> st.SearchStrategy[tuple[str, str, bool]]:
    """How arguments are written: separator, indent unit, whether long calls break lines."""
    return st.tuples(
        st.sampled_from([", ", ",  ", ","]),
        st.sampled_from(["    ", "  ", "\t"]),
        st.booleans(),
    )


def _call(name: str, arguments: list[str], separator: str, broken: bool, indent: str) -> list[str]:
    """``name(a, b)`` on one line, or one argument a line with a trailing comma."""
    if not broken or len(arguments) < 2:
        return [f"{name}({separator.join(arguments)})"]
    return [f"{name}("] + [f"{indent}{argument}," for argument in arguments] + [")"]


@st.composite
def model_programs(draw) -> str:  # noqa: C901 - one recipe, read top to bottom
    """A module with one RNN model class, pitfall and non-pitfall patterns mixed."""
    kind = draw(st.sampled_from(RNN_KINDS), label="kind")
    imports, constructor = draw(torch_imports(kind), label="imports")
    separator, unit, broken = draw(layouts(), label="layout")
    class_name = draw(class_names(), label="class")
    hidden = draw(identifiers(), label="hidden parameter")
    inputs = draw(identifiers("in_"), label="input parameter")
    layers = draw(identifiers("layers_"), label="layers parameter")
    rnn_attribute = draw(identifiers("rnn_"), label="rnn attribute")
    head_attribute = draw(identifiers("fc_"), label="head attribute")

    module_lines: list[str] = list(imports)
    parameters = ["self", inputs, hidden]
    direction = draw(
        st.sampled_from(["True", "False", "constant", "default_true", "default_false", "absent"]),
        label="direction flag",
    )
    if direction == "constant":
        module_lines.append(f"BIDIRECTIONAL = {draw(st.sampled_from(['True', 'False']))}")
        flag = "BIDIRECTIONAL"
    elif direction.startswith("default"):
        parameters.append(f"bidirectional={'True' if direction == 'default_true' else 'False'}")
        flag = "bidirectional"
    else:
        flag = direction
    layer_count = draw(st.sampled_from(["1", "2", "param"]), label="layers")
    if layer_count == "param":
        parameters.append(f"{layers}={draw(st.integers(1, 4))}")
        layer_expression = layers
    else:
        layer_expression = layer_count
    batch_first = draw(st.booleans(), label="batch_first")

    rnn_arguments = [inputs, hidden, f"num_layers={layer_expression}"]
    if batch_first:
        rnn_arguments.append("batch_first=True")
    if flag != "absent":
        rnn_arguments.append(f"bidirectional={flag}")

    init: list[str] = ["super().__init__()", f"self.{hidden} = {hidden}"]
    init.append(f"self.num_layers = {layer_expression}")
    if flag != "absent":
        init.append(f"self.bidirectional = {flag}")
        init.append("self.num_directions = 2 if self.bidirectional else 1")
    init += _call(f"self.{rnn_attribute} = {constructor}", rnn_arguments, separator, broken, unit)
    head_size = draw(
        st.sampled_from(
            [
                hidden,
                f"{hidden} * 2",
                f"2 * {hidden}",
                f"{hidden} * self.num_directions" if flag != "absent" else hidden,
            ]
        ),
        label="head input size",
    )
    init += _call(f"self.{head_attribute} = nn.Linear", [head_size, "3"], separator, broken, unit)

    state = draw(
        st.sampled_from(["none", "zeros", "zeros_doubled", "guarded", "new_zeros", "helper"]),
        label="initial state",
    )
    rows = draw(
        st.sampled_from(["self.num_layers", "1", "self.num_layers * 2", "2 * self.num_layers"]),
        label="state rows",
    )
    batch = "x.size(0)" if batch_first else "x.size(1)"
    shape = [rows, batch, f"self.{hidden}"]
    methods: list[list[str]] = []
    forward: list[str] = []
    if state == "zeros":
        forward += _call("h0 = torch.zeros", shape, separator, broken, unit)
    elif state == "zeros_doubled":
        forward.append(f"h0 = torch.zeros(self.num_layers * 2, {batch}, self.{hidden})")
    elif state == "guarded" and flag != "absent":
        forward.append("if self.bidirectional:")
        forward.append(f"{unit}h0 = torch.zeros(2 * self.num_layers, {batch}, self.{hidden})")
        forward.append("else:")
        forward.append(f"{unit}h0 = torch.zeros(self.num_layers, {batch}, self.{hidden})")
    elif state == "new_zeros":
        forward.append(f"h0 = x.new_zeros({separator.join(shape)})")
    elif state == "helper":
        methods.append(
            ["def init_hidden(self, batch_size):"]
            + [
                unit + line
                for line in _call(
                    "return torch.randn",
                    [rows, "batch_size", f"self.{hidden}"],
                    separator,
                    broken,
                    unit,
                )
            ]
        )
        forward.append(f"h0 = self.init_hidden({batch})")
    has_state = any(line.startswith("h0 =") or "h0 =" in line for line in forward)
    if has_state and kind == "LSTM":
        forward.append("c0 = torch.zeros_like(h0)")
        state_argument = "(h0, c0)"
    else:
        state_argument = "h0"

    packed = draw(st.booleans(), label="packing")
    if packed:
        imports_line = "from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence"
        module_lines.insert(len(imports), imports_line)
        forward += _call(
            "x = pack_padded_sequence",
            ["x", "lengths.cpu()", f"batch_first={batch_first}", "enforce_sorted=False"],
            separator,
            broken,
            unit,
        )
    outputs = "out, (h_n, c_n)" if kind == "LSTM" else "out, h_n"
    call_arguments = ["x"] + ([state_argument] if has_state else [])
    forward += _call(f"{outputs} = self.{rnn_attribute}", call_arguments, separator, broken, unit)
    if packed:
        forward.append(f"out, _ = pad_packed_sequence(out, batch_first={batch_first})")
    summary = draw(
        st.sampled_from(
            [
                "h_n[-1]",
                "torch.cat((h_n[-2], h_n[-1]), dim=1)",
                "out[:, -1]" if batch_first else "out[-1]",
                "out.mean(dim=1)",
                "out.max(1)[0]",
                "out",
                f"out[:, -1, :self.{hidden}]",
                f"h_n.view(self.num_layers, 2, {batch}, self.{hidden})",
            ]
        ),
        label="summary",
    )
    forward.append(f"summary = {summary}")
    forward.append(f"return self.{head_attribute}(summary)")

    if draw(st.booleans(), label="streaming loop"):
        methods.append(
            [
                "def stream(self, frames):",
                f"{unit}state = None",
                f"{unit}outputs = []",
                f"{unit}for frame in frames:",
                f"{unit}{unit}step, state = self.{rnn_attribute}(frame.unsqueeze(0), state)",
                f"{unit}{unit}outputs.append(step)",
                f"{unit}return outputs",
            ]
        )

    forward_parameters = ["self", "x"] + (["lengths"] if packed else [])
    body = [f"class {class_name}(nn.Module):"]
    if draw(st.booleans(), label="docstring"):
        body.append(f'{unit}"""Uses {constructor}(..., bidirectional=True) # not a comment."""')
    body.append(f"{unit}def __init__({separator.join(parameters)}):")
    body += [unit * 2 + line for line in init]
    for method in methods:
        body.append("")
        body += [unit + line for line in method]
    body.append("")
    body.append(f"{unit}def forward({separator.join(forward_parameters)}):")
    body += [unit * 2 + line for line in forward]

    nesting = draw(st.sampled_from(["module", "function", "if", "try"]), label="nesting")
    if nesting == "function":
        body = ["def build():"] + [unit + line for line in body] + [f"{unit}return {class_name}"]
    elif nesting == "if":
        body = ["if torch is not None:"] + [unit + line for line in body]
    elif nesting == "try":
        body = ["try:"] + [unit + line for line in body] + ["except ImportError:", f"{unit}pass"]

    lines = module_lines + ["", ""] + body
    return _with_comments(draw, lines) + "\n"


def _with_comments(draw, lines: list[str]) -> str:
    """Put comments at the ends of some lines and on lines of their own."""
    out: list[str] = []
    for line in lines:
        indent = line[: len(line) - len(line.lstrip())]
        if line.strip() and draw(st.integers(0, 9), label="own-line comment") == 0:
            out.append(f"{indent}# {draw(comments(), label='comment')}")
        if line.strip() and draw(st.integers(0, 5), label="end-of-line comment") == 0:
            line = f"{line}  # {draw(comments(), label='comment')}"
        out.append(line)
    return "\n".join(out)
