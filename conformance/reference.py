"""The executable specification (clause C11): PyTorch's documented RNN equations, step by step.

Why a second implementation: a layer is checked against equations, not against torch's kernels,
so this module never calls ``nn.RNN``/``nn.GRU``/``nn.LSTM``, ``torch._VF`` or the functional RNN
helpers. It is deliberately naive (plain tensor operations and an explicit loop over time) so it
can be read against the documentation line by line, and autograd derives its gradients from the
very same equations. It computes in the dtype of its inputs; callers pass float64.

The equations, as torch documents them (``W x`` means ``x @ W.T``; biases are optional):

* ``rnn_tanh`` / ``rnn_relu``: ``h' = act(W_ih x + b_ih + W_hh h + b_hh)``
* ``gru`` (row blocks r, z, n): ``r = σ(W_ir x + b_ir + W_hr h + b_hr)``,
  ``z = σ(W_iz x + b_iz + W_hz h + b_hz)``, ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``,
  ``h' = (1 - z) * n + z * h``
* ``lstm`` (row blocks i, f, g, o): ``c' = f * c + i * g``, ``h' = o * tanh(c')``, and with
  ``proj_size > 0`` ``h' = W_hr (o * tanh(c'))``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from conformance.spec import KINDS

#: Every cell carries its recurrent state as a tuple: ``(h,)`` for RNN and GRU, ``(h, c)`` for
#: LSTM, so that the time loop, the masking for variable lengths and the stacking of final states
#: are written once for all kinds.
CellState = tuple[Tensor, ...]

_GATE_BLOCKS = {"rnn_tanh": 1, "rnn_relu": 1, "gru": 3, "lstm": 4}


@dataclass(frozen=True)
class DirectionWeights:
    """The parameters of one direction of one layer, under torch's names (minus the suffixes)."""

    weight_ih: Tensor
    weight_hh: Tensor
    bias_ih: Tensor | None = None
    bias_hh: Tensor | None = None
    weight_hr: Tensor | None = None


def _affine(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """``W x + b`` for a batch of row vectors; a missing bias is the documented ``bias=False``."""
    y = x @ weight.T
    return y if bias is None else y + bias


def _input_and_hidden_terms(x: Tensor, h: Tensor, w: DirectionWeights) -> tuple[Tensor, Tensor]:
    return _affine(x, w.weight_ih, w.bias_ih), _affine(h, w.weight_hh, w.bias_hh)


# --- one step of each cell ---------------------------------------------------------------


def rnn_tanh_cell(x: Tensor, state: CellState, w: DirectionWeights) -> CellState:
    """Elman RNN: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)``."""
    from_input, from_hidden = _input_and_hidden_terms(x, state[0], w)
    return (torch.tanh(from_input + from_hidden),)


def rnn_relu_cell(x: Tensor, state: CellState, w: DirectionWeights) -> CellState:
    """Elman RNN with ``nonlinearity='relu'``: ``h' = relu(W_ih x + b_ih + W_hh h + b_hh)``."""
    from_input, from_hidden = _input_and_hidden_terms(x, state[0], w)
    return (torch.relu(from_input + from_hidden),)


def gru_cell(x: Tensor, state: CellState, w: DirectionWeights) -> CellState:
    """GRU as torch documents it (gate blocks r, z, n).

    The reset gate multiplies the hidden term *after* its bias, ``r * (W_hn h + b_hn)``: that is
    torch's (and cuDNN's) form, not the original paper's ``W_hn (r * h)``; the two differ.
    """
    (h,) = state
    from_input, from_hidden = _input_and_hidden_terms(x, h, w)
    input_r, input_z, input_n = from_input.chunk(3, dim=-1)
    hidden_r, hidden_z, hidden_n = from_hidden.chunk(3, dim=-1)
    reset = torch.sigmoid(input_r + hidden_r)
    update = torch.sigmoid(input_z + hidden_z)
    candidate = torch.tanh(input_n + reset * hidden_n)
    return ((1 - update) * candidate + update * h,)


def lstm_cell(x: Tensor, state: CellState, w: DirectionWeights) -> CellState:
    """LSTM as torch documents it (gate blocks i, f, g, o), with the optional projection.

    With ``proj_size > 0`` the projection ``W_hr`` maps the H-sized ``o * tanh(c')`` to the
    P-sized ``h'``; the cell state ``c`` keeps size H.
    """
    h, c = state
    from_input, from_hidden = _input_and_hidden_terms(x, h, w)
    input_gate, forget_gate, cell_candidate, output_gate = (from_input + from_hidden).chunk(4, -1)
    c_next = torch.sigmoid(forget_gate) * c + torch.sigmoid(input_gate) * torch.tanh(cell_candidate)
    h_next = torch.sigmoid(output_gate) * torch.tanh(c_next)
    if w.weight_hr is not None:
        h_next = h_next @ w.weight_hr.T
    return (h_next, c_next)


Cell = Callable[[Tensor, CellState, DirectionWeights], CellState]
CELLS: dict[str, Cell] = {
    "rnn_tanh": rnn_tanh_cell,
    "rnn_relu": rnn_relu_cell,
    "gru": gru_cell,
    "lstm": lstm_cell,
}


# --- over time, over directions, over layers ---------------------------------------------------


def run_direction(
    cell: Cell,
    weights: DirectionWeights,
    inputs: Tensor,
    initial: CellState,
    lengths: Tensor,
    *,
    reverse: bool,
) -> tuple[Tensor, CellState]:
    """Run one direction over time; ``inputs`` is (T, B, F), ``lengths`` is (B,).

    Variable lengths follow PackedSequence semantics by masking: a step at or past a sequence's
    length leaves its state untouched and writes 0 to the output. Hence the forward direction's
    state freezes at the sequence's own last step, and the backward direction keeps its initial
    state until it reaches that step, which is where it really starts.
    """
    steps = range(inputs.shape[0] - 1, -1, -1) if reverse else range(inputs.shape[0])
    state = initial
    outputs: list[Tensor] = [inputs.new_empty(0)] * inputs.shape[0]
    for t in steps:
        stepped = cell(inputs[t], state, weights)
        is_real = (t < lengths).unsqueeze(-1)
        state = tuple(torch.where(is_real, new, old) for new, old in zip(stepped, state))
        outputs[t] = torch.where(is_real, stepped[0], torch.zeros_like(stepped[0]))
    return torch.stack(outputs), state


def run_layer(
    cell: Cell,
    directions: Sequence[DirectionWeights],
    inputs: Tensor,
    initials: Sequence[CellState],
    lengths: Tensor,
) -> tuple[Tensor, list[CellState]]:
    """Run both directions on the same input; the output is ``[forward; backward]`` per step."""
    outputs, finals = [], []
    for direction, (weights, initial) in enumerate(zip(directions, initials)):
        output, final = run_direction(
            cell, weights, inputs, initial, lengths, reverse=direction == 1
        )
        outputs.append(output)
        finals.append(final)
    return torch.cat(outputs, dim=-1), finals


def run_stack(
    cell: Cell,
    layers: Sequence[Sequence[DirectionWeights]],
    inputs: Tensor,
    initials: Sequence[CellState],
    lengths: Tensor,
) -> tuple[Tensor, list[CellState]]:
    """Feed each layer's concatenated output to the next (no dropout: this is eval mode).

    ``initials`` and the returned final states are ordered layer-major, direction-minor
    (row ``2 * layer + direction``), as torch's ``h_0``/``h_n``.
    """
    directions_per_layer = len(layers[0])
    finals: list[CellState] = []
    for layer_index, directions in enumerate(layers):
        first = layer_index * directions_per_layer
        layer_initials = initials[first : first + directions_per_layer]
        inputs, layer_finals = run_layer(cell, directions, inputs, layer_initials, lengths)
        finals.extend(layer_finals)
    return inputs, finals


# --- torch's interface ----------------------------------------------------------------------


def _direction_weights(
    parameters: Mapping[str, Tensor], layer: int, direction: int, dtype: torch.dtype
) -> DirectionWeights:
    suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")

    def get(name: str, required: bool) -> Tensor | None:
        tensor = parameters.get(name + suffix)
        if tensor is None:
            if required:
                raise KeyError(f"missing parameter {name + suffix!r}")
            return None
        return tensor.to(dtype)

    return DirectionWeights(
        weight_ih=get("weight_ih", True),
        weight_hh=get("weight_hh", True),
        bias_ih=get("bias_ih", False),
        bias_hh=get("bias_hh", False),
        weight_hr=get("weight_hr", False),
    )


def _check_weight_shapes(
    kind: str, layers: Sequence[Sequence[DirectionWeights]], sizes: dict[str, int]
) -> None:
    hidden, output_size, input_size = sizes["hidden"], sizes["output"], sizes["input"]
    rows = _GATE_BLOCKS[kind] * hidden
    for layer_index, directions in enumerate(layers):
        layer_input = input_size if layer_index == 0 else output_size * len(directions)
        for w in directions:
            if tuple(w.weight_ih.shape) != (rows, layer_input):
                raise ValueError(
                    f"layer {layer_index}: weight_ih has shape {tuple(w.weight_ih.shape)}, "
                    f"expected {(rows, layer_input)}"
                )
            if tuple(w.weight_hh.shape) != (rows, output_size):
                raise ValueError(
                    f"layer {layer_index}: weight_hh has shape {tuple(w.weight_hh.shape)}, "
                    f"expected {(rows, output_size)}"
                )


def _initial_states(
    kind: str,
    state: Tensor | tuple[Tensor, Tensor] | None,
    rows: int,
    batch: int,
    hidden_size: int,
    output_size: int,
    like: Tensor,
) -> list[CellState]:
    """Split torch's stacked h0 (and c0) into one state tuple per (layer, direction) row."""
    if kind == "lstm":
        if state is None:
            h0 = like.new_zeros(rows, batch, output_size)
            c0 = like.new_zeros(rows, batch, hidden_size)
        else:
            h0, c0 = state
        expected = {"h0": ((rows, batch, output_size), h0), "c0": ((rows, batch, hidden_size), c0)}
    else:
        if isinstance(state, (tuple, list)):
            raise TypeError(f"{kind} takes a single h0 tensor, not a tuple")
        h0 = like.new_zeros(rows, batch, output_size) if state is None else state
        expected = {"h0": ((rows, batch, output_size), h0)}
    for name, (shape, tensor) in expected.items():
        if tuple(tensor.shape) != shape:
            raise ValueError(f"{name} has shape {tuple(tensor.shape)}, expected {shape}")
    tensors = [tensor.to(like.dtype) for _, tensor in expected.values()]
    return [tuple(tensor[row] for tensor in tensors) for row in range(rows)]


def reference_forward(
    kind: str,
    parameters: Mapping[str, Tensor],
    x: Tensor,
    state: Tensor | tuple[Tensor, Tensor] | None = None,
    *,
    num_layers: int,
    hidden_size: int,
    proj_size: int = 0,
    batch_first: bool = False,
    lengths: Sequence[int] | None = None,
    bidirectional: bool = True,
) -> tuple[Tensor, Tensor | tuple[Tensor, Tensor]]:
    """Run the documented equations with torch's call convention and shapes.

    ``x`` is (T, B, I), (B, T, I) with ``batch_first``, or unbatched (T, I); ``state`` is h0 of
    shape (D·L, B, H_out), or for LSTM ``(h0, c0)`` with c0 (D·L, B, H); unbatched drops B; None
    means zeros. ``lengths`` gives PackedSequence semantics on the padded ``x`` (see
    :func:`run_direction`). Returns ``(output, h_n)`` or, for LSTM, ``(output, (h_n, c_n))``.
    """
    if kind not in CELLS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    if proj_size and kind != "lstm":
        raise ValueError("proj_size is only defined for lstm")
    if x.dim() not in (2, 3):
        raise ValueError(f"x must be 2-D (unbatched) or 3-D, got shape {tuple(x.shape)}")
    unbatched = x.dim() == 2
    if unbatched:
        x = x.unsqueeze(1)
        if state is not None:
            state = (
                tuple(s.unsqueeze(1) for s in state)
                if isinstance(state, (tuple, list))
                else (state.unsqueeze(1))
            )
    elif batch_first:
        x = x.transpose(0, 1)
    steps, batch, input_size = x.shape
    if steps == 0:
        raise ValueError("x has no time steps")
    if lengths is None:
        length_tensor = torch.full((batch,), steps, dtype=torch.long, device=x.device)
    else:
        length_tensor = torch.as_tensor(list(lengths), dtype=torch.long, device=x.device)
        if length_tensor.shape != (batch,) or not bool(
            ((length_tensor >= 1) & (length_tensor <= steps)).all()
        ):
            raise ValueError(f"lengths must be {batch} integers in 1..{steps}, got {lengths}")

    directions = 2 if bidirectional else 1
    output_size = proj_size if proj_size > 0 else hidden_size
    layers = [
        [_direction_weights(parameters, layer, d, x.dtype) for d in range(directions)]
        for layer in range(num_layers)
    ]
    if proj_size > 0 and any(w.weight_hr is None for directions_ in layers for w in directions_):
        raise KeyError("proj_size > 0 needs weight_hr_l{k} for every layer and direction")
    sizes = {"hidden": hidden_size, "output": output_size, "input": input_size}
    _check_weight_shapes(kind, layers, sizes)
    initials = _initial_states(
        kind, state, directions * num_layers, batch, hidden_size, output_size, x
    )

    output, finals = run_stack(CELLS[kind], layers, x, initials, length_tensor)
    stacked = [torch.stack([final[i] for final in finals]) for i in range(len(finals[0]))]

    if unbatched:
        output = output.squeeze(1)
        stacked = [s.squeeze(1) for s in stacked]
    elif batch_first:
        output = output.transpose(0, 1)
    if kind == "lstm":
        return output, (stacked[0], stacked[1])
    return output, stacked[0]

