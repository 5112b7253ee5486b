"""Correct bidirectional layers written the way users write them, each with its LayerSpec.

Why this module exists: the suite is judged on layers it has never seen, and a false alarm on a
right layer costs a user's trust more than a missed bug. These layers are right by construction
(each is built from torch's own cells or modules, or from the documented equations) but take the
roads users take: per-direction cell loops with their own parameter names, two unidirectional
modules with a flipped backward pass, a thin wrapper that adds a harmless step, float32 only, a
batch-first-only interface adapted by a call hook. ``CORRECT_SPECS`` lists them for
``test_no_false_alarms.py``, ``bench/mutation_score.py`` and the mutants built on them.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from conformance.spec import Features, LayerSpec


def _uniform_init(module: nn.Module, hidden_size: int) -> None:
    """torch's RNN init, uniform in ±1/sqrt(hidden_size), in registration order."""
    bound = 1.0 / math.sqrt(hidden_size)
    for parameter in module.parameters():
        nn.init.uniform_(parameter, -bound, bound)


def _check_batched_state(hx: Tensor, expected: tuple[int, ...], what: str) -> None:
    if tuple(hx.shape) != expected:
        raise RuntimeError(f"Expected {what} of shape {expected}, got {tuple(hx.shape)}")


# --- a BiLSTM from nn.LSTMCell loops, one cell per layer and direction ---------------------------


class CellLoopBiLSTM(nn.Module):
    """Time-major BiLSTM looping ``nn.LSTMCell`` per direction: the most common hand-written form."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        sizes = [input_size] + [2 * hidden_size] * (num_layers - 1)
        self.forward_cells = nn.ModuleList(nn.LSTMCell(n, hidden_size, bias=bias) for n in sizes)
        self.backward_cells = nn.ModuleList(nn.LSTMCell(n, hidden_size, bias=bias) for n in sizes)
        _uniform_init(self, hidden_size)

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor] | None = None):
        if x.dim() != 3:
            raise ValueError(f"expected (T, B, I) input, got {tuple(x.shape)}")
        steps, batch, _ = x.shape
        if steps == 0:
            raise ValueError("empty sequence")
        expected = (2 * self.num_layers, batch, self.hidden_size)
        if state is None:
            h0 = c0 = x.new_zeros(expected)
        else:
            h0, c0 = state
            _check_batched_state(h0, expected, "h0")
            _check_batched_state(c0, expected, "c0")
        inputs, final_h, final_c = x, [], []
        for layer in range(self.num_layers):
            halves = []
            for direction, cell in enumerate((self.forward_cells[layer], self.backward_cells[layer])):
                h, c = h0[2 * layer + direction], c0[2 * layer + direction]
                order = range(steps - 1, -1, -1) if direction else range(steps)
                outputs: list[Tensor] = [x.new_empty(0)] * steps
                for t in order:
                    h, c = cell(inputs[t], (h, c))
                    outputs[t] = h
                halves.append(torch.stack(outputs))
                final_h.append(h)
                final_c.append(c)
            inputs = torch.cat(halves, dim=-1)
        return inputs, (torch.stack(final_h), torch.stack(final_c))


def cell_loop_parameter_names(layer: CellLoopBiLSTM) -> dict[str, str]:
    """``weight_ih_l1_reverse`` -> ``backward_cells.1.weight_ih``: LSTMCell already uses torch's parts."""
    names = {}
    own = dict(layer.named_parameters())
    for k in range(layer.num_layers):
        for suffix, cells in (("", "forward_cells"), ("_reverse", "backward_cells")):
            for part in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                if f"{cells}.{k}.{part}" in own:
                    names[f"{part}_l{k}{suffix}"] = f"{cells}.{k}.{part}"
    return names


CELL_LOOP_BILSTM = LayerSpec(
    name="CellLoopBiLSTM",
    factory=lambda config: CellLoopBiLSTM(
        config.input_size, config.hidden_size, config.num_layers, bias=config.bias
    ),
    kind="lstm",
    parameter_names=cell_loop_parameter_names,
    features=Features(batch_first_flag=False, packed=False, unbatched=False, dropout=False),
)


# --- a BiGRU from two unidirectional nn.GRU stacks, flipping each sequence for the backward pass --


def reverse_each_sequence(padded: Tensor, lengths: Tensor) -> Tensor:
    """Reverse every sequence of a (T, B, F) padded batch within its own length; padding stays put."""
    steps = padded.shape[0]
    time = torch.arange(steps, device=padded.device).unsqueeze(1)
    lengths = lengths.to(padded.device).unsqueeze(0)
    source = torch.where(time < lengths, lengths - 1 - time, time)
    return padded.gather(0, source.unsqueeze(-1).expand_as(padded))


class TwoGRUBiGRU(nn.Module):
    """Per layer, a forward ``nn.GRU`` and a backward one run on per-sequence-reversed input.

    Unidirectional modules are what people reach for when they want to change one direction
    later; the backward pass must reverse each sequence within its length, not the padded tensor.
    """

    def __init__(
        self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
        batch_first: bool = False,
    ) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.batch_first = batch_first
        sizes = [input_size] + [2 * hidden_size] * (num_layers - 1)
        self.forward_layers = nn.ModuleList(nn.GRU(n, hidden_size, bias=bias) for n in sizes)
        self.backward_layers = nn.ModuleList(nn.GRU(n, hidden_size, bias=bias) for n in sizes)

    def reverse_for_backward(self, padded: Tensor, lengths: Tensor) -> Tensor:
        return reverse_each_sequence(padded, lengths)

    def restore_backward_order(self, backward_output: Tensor, lengths: Tensor) -> Tensor:
        return reverse_each_sequence(backward_output, lengths)

    def forward(self, x: Tensor | PackedSequence, hx: Tensor | None = None):
        packed = isinstance(x, PackedSequence)
        if packed:
            padded, lengths = pad_packed_sequence(x)
            lengths = lengths.to(padded.device)
        else:
            if x.dim() == 2:
                batch_dim = 0 if self.batch_first else 1
                state = None if hx is None else hx.unsqueeze(1)
                output, h_n = self.forward(x.unsqueeze(batch_dim), state)
                return output.squeeze(batch_dim), h_n.squeeze(1)
            padded = x.transpose(0, 1) if self.batch_first else x
            if padded.shape[0] == 0:
                raise ValueError("empty sequence")
            lengths = torch.full((padded.shape[1],), padded.shape[0], device=padded.device)
        batch = padded.shape[1]
        expected = (2 * self.num_layers, batch, self.hidden_size)
        if hx is None:
            hx = padded.new_zeros(expected)
        _check_batched_state(hx, expected, "h0")
        inputs, finals = padded, []
        for layer in range(self.num_layers):
            h0 = hx[2 * layer : 2 * layer + 2]
            cpu_lengths = lengths.cpu()
            forward_out, forward_h = self.forward_layers[layer](
                pack_padded_sequence(inputs, cpu_lengths, enforce_sorted=False), h0[0:1]
            )
            reversed_in = self.reverse_for_backward(inputs, lengths)
            backward_out, backward_h = self.backward_layers[layer](
                pack_padded_sequence(reversed_in, cpu_lengths, enforce_sorted=False), h0[1:2]
            )
            forward_out, _ = pad_packed_sequence(forward_out, total_length=inputs.shape[0])
            backward_out, _ = pad_packed_sequence(backward_out, total_length=inputs.shape[0])
            backward_out = self.restore_backward_order(backward_out, lengths)
            inputs = torch.cat([forward_out, backward_out], dim=-1)
            finals += [forward_h[0], backward_h[0]]
        h_n = torch.stack(finals)
        if packed:
            output = pack_padded_sequence(inputs, lengths.cpu(), enforce_sorted=False)
            return output, h_n
        return (inputs.transpose(0, 1) if self.batch_first else inputs), h_n


def two_gru_parameter_names(layer: TwoGRUBiGRU) -> dict[str, str]:
    """``bias_hh_l1_reverse`` -> ``backward_layers.1.bias_hh_l0``."""
    own = dict(layer.named_parameters())
    names = {}
    for k in range(layer.num_layers):
        for suffix, stack in (("", "forward_layers"), ("_reverse", "backward_layers")):
            for part in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                if f"{stack}.{k}.{part}_l0" in own:
                    names[f"{part}_l{k}{suffix}"] = f"{stack}.{k}.{part}_l0"
    return names


TWO_GRU_BIGRU = LayerSpec(
    name="TwoGRUBiGRU",
    factory=lambda config: TwoGRUBiGRU(
        config.input_size, config.hidden_size, config.num_layers, config.bias, config.batch_first
    ),
    kind="gru",
    parameter_names=two_gru_parameter_names,
    features=Features(dropout=False, dtypes=("float32", "float64")),
)


# --- a wrapper over nn.LSTM that adds harmless steps --------------------------------------------


class ContiguousLSTM(nn.Module):
    """Wraps ``nn.LSTM``, accepts and ignores extra keyword arguments, returns contiguous copies."""

    def __init__(self, **lstm_kwargs) -> None:
        super().__init__()
        self.rnn = nn.LSTM(**lstm_kwargs)

    def forward(self, x, state=None, **ignored):
        output, (h_n, c_n) = self.rnn(x, state)
        if not isinstance(output, PackedSequence):
            output = output.contiguous().clone()
        return output, (h_n.contiguous(), c_n.clone())


def wrapped_parameter_names(layer: ContiguousLSTM) -> dict[str, str]:
    return {name: f"rnn.{name}" for name, _ in layer.rnn.named_parameters()}


CONTIGUOUS_LSTM = LayerSpec(
    name="ContiguousLSTM",
    factory=lambda config: ContiguousLSTM(**config.torch_kwargs()),
    kind="lstm",
    parameter_names=wrapped_parameter_names,
    call=lambda layer, x, state: layer(x, state, return_attention=False),
    features=Features(proj_size=True),
)


# --- float32 only -------------------------------------------------------------------------------


class Float32BiGRU(nn.Module):
    """A BiGRU from ``nn.GRUCell`` that its author only ever runs in float32 (declares it so)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        sizes = [input_size] + [2 * hidden_size] * (num_layers - 1)
        self.cells = nn.ModuleList(
            nn.GRUCell(n, hidden_size, bias=bias) for n in sizes for _direction in range(2)
        )

    def forward(self, x: Tensor, hx: Tensor | None = None):
        if x.dim() != 3 or x.shape[0] == 0:
            raise ValueError(f"expected non-empty (T, B, I) input, got {tuple(x.shape)}")
        steps, batch, _ = x.shape
        expected = (2 * self.num_layers, batch, self.hidden_size)
        hx = x.new_zeros(expected) if hx is None else hx
        _check_batched_state(hx, expected, "h0")
        inputs, finals = x, []
        for row, cell in enumerate(self.cells):
            if row % 2 == 0:
                halves = []
            h = hx[row]
            outputs: list[Tensor] = [x.new_empty(0)] * steps
            for t in (reversed(range(steps)) if row % 2 else range(steps)):
                h = cell(inputs[t], h)
                outputs[t] = h
            halves.append(torch.stack(outputs))
            finals.append(h)
            if row % 2:
                inputs = torch.cat(halves, dim=-1)
        return inputs, torch.stack(finals)


def float32_parameter_names(layer: Float32BiGRU) -> dict[str, str]:
    own = dict(layer.named_parameters())
    names = {}
    for row in range(2 * layer.num_layers):
        suffix = f"_l{row // 2}" + ("_reverse" if row % 2 else "")
        for part in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            if f"cells.{row}.{part}" in own:
                names[part + suffix] = f"cells.{row}.{part}"
    return names


FLOAT32_BIGRU = LayerSpec(
    name="Float32BiGRU",
    factory=lambda config: Float32BiGRU(
        config.input_size, config.hidden_size, config.num_layers, config.bias
    ),
    kind="gru",
    parameter_names=float32_parameter_names,
    features=Features(
        batch_first_flag=False, packed=False, unbatched=False, dropout=False, dtypes=("float32",)
    ),
)


# --- a ReLU RNN from the equations, torch's names -----------------------------------------------


class EquationsReluBiRNN(nn.Module):
    """``h' = relu(W_ih x + b_ih + W_hh h + b_hh)`` per direction, with torch's parameter names."""

    def __init__(
        self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
        batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = True,
        nonlinearity: str = "relu",
    ) -> None:
        super().__init__()
        assert bidirectional and nonlinearity == "relu"
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = dropout
        for layer in range(num_layers):
            width = input_size if layer == 0 else 2 * hidden_size
            for suffix in (f"_l{layer}", f"_l{layer}_reverse"):
                self.register_parameter("weight_ih" + suffix, nn.Parameter(torch.empty(hidden_size, width)))
                self.register_parameter("weight_hh" + suffix, nn.Parameter(torch.empty(hidden_size, hidden_size)))
                if bias:
                    self.register_parameter("bias_ih" + suffix, nn.Parameter(torch.empty(hidden_size)))
                    self.register_parameter("bias_hh" + suffix, nn.Parameter(torch.empty(hidden_size)))
        _uniform_init(self, hidden_size)

    def _direction(self, inputs: Tensor, h: Tensor, suffix: str, reverse: bool) -> tuple[Tensor, Tensor]:
        weight_ih, weight_hh = getattr(self, "weight_ih" + suffix), getattr(self, "weight_hh" + suffix)
        bias_ih = getattr(self, "bias_ih" + suffix) if self.bias else None
        bias_hh = getattr(self, "bias_hh" + suffix) if self.bias else None
        steps = inputs.shape[0]
        outputs: list[Tensor] = [h] * steps
        for t in (reversed(range(steps)) if reverse else range(steps)):
            h = torch.relu(nn.functional.linear(inputs[t], weight_ih, bias_ih) + nn.functional.linear(h, weight_hh, bias_hh))
            outputs[t] = h
        return torch.stack(outputs), h

    def forward(self, x: Tensor, hx: Tensor | None = None):
        if x.dim() == 2:
            batch_dim = 0 if self.batch_first else 1
            state = None if hx is None else hx.unsqueeze(1)
            output, h_n = self.forward(x.unsqueeze(batch_dim), state)
            return output.squeeze(batch_dim), h_n.squeeze(1)
        if x.dim() != 3:
            raise ValueError(f"expected 2-D or 3-D input, got {x.dim()}-D")
        inputs = x.transpose(0, 1) if self.batch_first else x
        if inputs.shape[0] == 0 or inputs.shape[-1] != self.weight_ih_l0.shape[1]:
            raise ValueError(f"bad input shape {tuple(x.shape)}")
        expected = (2 * self.num_layers, inputs.shape[1], self.hidden_size)
        hx = inputs.new_zeros(expected) if hx is None else hx
        _check_batched_state(hx, expected, "h0")
        finals = []
        for layer in range(self.num_layers):
            forward_out, forward_h = self._direction(inputs, hx[2 * layer], f"_l{layer}", False)
            backward_out, backward_h = self._direction(inputs, hx[2 * layer + 1], f"_l{layer}_reverse", True)
            inputs = torch.cat([forward_out, backward_out], dim=-1)
            finals += [forward_h, backward_h]
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                inputs = nn.functional.dropout(inputs, self.dropout)
        output = inputs.transpose(0, 1) if self.batch_first else inputs
        return output, torch.stack(finals)


EQUATIONS_RELU_BIRNN = LayerSpec.from_class(
    EquationsReluBiRNN,
    kind="rnn_relu",
    features=Features(packed=False, dtypes=("float32", "float64")),
)


# --- a batch-first-only tanh RNN adapted by a call hook -------------------------------------------


class BatchFirstBiRNN(nn.Module):
    """Takes (B, T, I) only and returns (output, h_n) batch-first; built on two ``nn.RNNCell`` stacks."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        sizes = [input_size] + [2 * hidden_size] * (num_layers - 1)
        self.forward_cells = nn.ModuleList(nn.RNNCell(n, hidden_size) for n in sizes)
        self.backward_cells = nn.ModuleList(nn.RNNCell(n, hidden_size) for n in sizes)

    def forward(self, x: Tensor, h0: Tensor | None = None):
        if x.dim() != 3 or x.shape[1] == 0:
            raise ValueError(f"expected non-empty (B, T, I) input, got {tuple(x.shape)}")
        batch, steps, _ = x.shape
        expected = (2 * self.num_layers, batch, self.hidden_size)
        h0 = x.new_zeros(expected) if h0 is None else h0
        _check_batched_state(h0, expected, "h0")
        inputs, finals = x, []
        for layer in range(self.num_layers):
            forward_h, backward_h = h0[2 * layer], h0[2 * layer + 1]
            forward_out, backward_out = [], []
            for t in range(steps):
                forward_h = self.forward_cells[layer](inputs[:, t], forward_h)
                backward_h = self.backward_cells[layer](inputs[:, steps - 1 - t], backward_h)
                forward_out.append(forward_h)
                backward_out.append(backward_h)
            backward_out.reverse()
            inputs = torch.cat([torch.stack(forward_out, 1), torch.stack(backward_out, 1)], dim=-1)
            finals += [forward_h, backward_h]
        return inputs, torch.stack(finals)


def batch_first_parameter_names(layer: BatchFirstBiRNN) -> dict[str, str]:
    names = {}
    for k in range(layer.num_layers):
        for suffix, cells in (("", "forward_cells"), ("_reverse", "backward_cells")):
            for part in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                names[f"{part}_l{k}{suffix}"] = f"{cells}.{k}.{part}"
    return names


def call_batch_first(layer: BatchFirstBiRNN, x: Tensor, state: Tensor | None):
    """torch's time-major convention around a batch-first layer: transpose in, transpose out."""
    output, h_n = layer(x.transpose(0, 1), state)
    return output.transpose(0, 1), h_n


BATCH_FIRST_BIRNN = LayerSpec(
    name="BatchFirstBiRNN",
    factory=lambda config: BatchFirstBiRNN(config.input_size, config.hidden_size, config.num_layers),
    kind="rnn_tanh",
    call=call_batch_first,
    parameter_names=batch_first_parameter_names,
    features=Features(
        batch_first_flag=False, packed=False, unbatched=False, bias_optional=False, dropout=False
    ),
)


CORRECT_SPECS: tuple[LayerSpec, ...] = (
    CELL_LOOP_BILSTM,
    TWO_GRU_BIGRU,
    CONTIGUOUS_LSTM,
    FLOAT32_BIGRU,
    EQUATIONS_RELU_BIRNN,
    BATCH_FIRST_BIRNN,
)
