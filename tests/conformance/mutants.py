"""Realistic, subtle bugs in otherwise correct bidirectional layers: what the suite must catch.

Why this module exists: the fixtures in ``fixtures/layers/breaks_c*.py`` each show that a check
*can* fail; mutants ask whether the suite catches the bugs people actually write. Each mutant is a
small modification of a correct layer (``EquationsBiGRU`` through ``SteppedBiGRU``, or a layer of
``correct_layers``), its docstring names the bug in one line, and ``MUTANTS`` records, as data,
the clauses expected to catch it.

Left out on purpose: dropout applied to the last layer's output in train mode only. torch's
modules never do that, but clause C13 (and every clause that compares values, in eval mode) only
requires dropout to be off in eval mode and on between layers in train mode, so the spec does not
require catching it; users add such dropout on purpose outside the RNN all the time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from correct_layers import (
    CELL_LOOP_BILSTM,
    CONTIGUOUS_LSTM,
    TWO_GRU_BIGRU,
    CellLoopBiLSTM,
    ContiguousLSTM,
    TwoGRUBiGRU,
)
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from conformance.spec import Features, LayerSpec
from fixtures.layers.equations_bigru import EquationsBiGRU, gru_step


@dataclass(frozen=True)
class Mutant:
    spec: LayerSpec
    expected: tuple[str, ...]  # the clauses that should catch the bug

    @property
    def bug(self) -> str:
        """The one-line docstring of the mutated class."""
        return (self.spec.layer_class.__doc__ or self.spec.name).strip().splitlines()[0]

    @property
    def name(self) -> str:
        return self.spec.name


# --- the base: EquationsBiGRU with its time loop split into overridable steps ---------------------


class SteppedBiGRU(EquationsBiGRU):
    """EquationsBiGRU with ``step`` and ``output_index`` as seams for one-line mutations (correct)."""

    def step(self, x: Tensor, h: Tensor, weights: tuple, reverse: bool) -> Tensor:
        return gru_step(x, h, *weights)

    def output_index(self, t: int, steps: int, reverse: bool) -> int:
        return t

    def is_real(self, t: int, lengths: Tensor, reverse: bool) -> Tensor:
        return (t < lengths).unsqueeze(-1)

    def _run_direction(self, inputs, h, lengths, weights, reverse):
        steps = inputs.shape[0]
        outputs: list[Tensor | None] = [None] * steps
        for t in reversed(range(steps)) if reverse else range(steps):
            stepped = self.step(inputs[t], h, weights, reverse)
            is_real = self.is_real(t, lengths, reverse)
            h = torch.where(is_real, stepped, h)
            outputs[self.output_index(t, steps, reverse)] = torch.where(
                is_real, stepped, torch.zeros_like(stepped)
            )
        return torch.stack(outputs), h


GRU_FEATURES = Features(dtypes=("float32", "float64"))


def _gru(layer_class: type, *expected: str) -> Mutant:
    return Mutant(
        LayerSpec.from_class(layer_class, kind="gru", features=GRU_FEATURES), tuple(expected)
    )


def _gates(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    from_input = F.linear(x, weight_ih, bias_ih).chunk(3, dim=-1)
    from_hidden = F.linear(h, weight_hh, bias_hh).chunk(3, dim=-1)
    return from_input, from_hidden


# --- equations ----------------------------------------------------------------------------------


class UpdateGateSwapped(SteppedBiGRU):
    """GRU update written z*n + (1-z)*h instead of (1-z)*n + z*h."""

    def step(self, x, h, weights, reverse):
        (i_r, i_z, i_n), (h_r, h_z, h_n) = _gates(x, h, *weights)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        return z * torch.tanh(i_n + r * h_n) + (1 - z) * h


class ResetBeforeMatmul(SteppedBiGRU):
    """Reset gate applied to h before W_hn (Cho et al.'s variant), not to W_hn h + b_hn as torch does."""

    def step(self, x, h, weights, reverse):
        weight_ih, weight_hh, bias_ih, bias_hh = weights
        (i_r, i_z, i_n), (h_r, h_z, _) = _gates(x, h, *weights)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        size = h.shape[-1]
        b_hn = None if bias_hh is None else bias_hh[2 * size :]
        n = torch.tanh(i_n + F.linear(r * h, weight_hh[2 * size :], b_hn))
        return (1 - z) * n + z * h


class BiasAddedTwice(SteppedBiGRU):
    """Input bias added inside F.linear and once more by hand: F.linear(x, W_ih, b_ih) + b_ih."""

    def step(self, x, h, weights, reverse):
        weight_ih, weight_hh, bias_ih, bias_hh = weights
        if bias_ih is not None:
            bias_ih = bias_ih + bias_ih
        return gru_step(x, h, weight_ih, weight_hh, bias_ih, bias_hh)


class SigmoidCandidate(SteppedBiGRU):
    """Candidate state squashed with sigmoid instead of tanh."""

    def step(self, x, h, weights, reverse):
        (i_r, i_z, i_n), (h_r, h_z, h_n) = _gates(x, h, *weights)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        return (1 - z) * torch.sigmoid(i_n + r * h_n) + z * h


class TruncatedBackprop(SteppedBiGRU):
    """h.detach() every step (a truncated-BPTT leftover): gradients stop at each step."""

    def step(self, x, h, weights, reverse):
        return gru_step(x, h.detach(), *weights)


class BackwardHiddenWeightViaData(SteppedBiGRU):
    """Backward direction reads weight_hh through .data: its gradient is silently cut."""

    def step(self, x, h, weights, reverse):
        if reverse:
            weights = (weights[0], weights[1].data, *weights[2:])
        return gru_step(x, h, *weights)


class ComputesInFloat32(SteppedBiGRU):
    """Each step computed in float32 and cast back: a float64 layer with float32 precision."""

    def step(self, x, h, weights, reverse):
        low = [None if w is None else w.float() for w in weights]
        return gru_step(x.float(), h.float(), *low).to(x.dtype)


# --- time and direction --------------------------------------------------------------------------


class BackwardWritesMirroredStep(SteppedBiGRU):
    """Backward direction reads x[t] but writes its output at T-1-t."""

    def output_index(self, t, steps, reverse):
        return steps - 1 - t if reverse else t


class SharedDirectionWeights(SteppedBiGRU):
    """Both directions use the forward weights; the _reverse parameters are never read."""

    def _weights(self, layer, direction):
        return super()._weights(layer, 0)


class BackwardH0FromForwardRow(SteppedBiGRU):
    """Backward direction starts from h0[2l] (the forward row) instead of h0[2l+1]."""

    def _run_stack(self, inputs, h0, lengths):
        shared = h0.clone()
        shared[1::2] = h0[0::2]
        return super()._run_stack(inputs, shared, lengths)


class BackwardIgnoresH0(SteppedBiGRU):
    """Backward direction always starts from zeros, ignoring h0."""

    def _run_stack(self, inputs, h0, lengths):
        zeroed = h0.clone()
        zeroed[1::2] = 0
        return super()._run_stack(inputs, zeroed, lengths)


class UpperLayersGetBackwardFirst(SteppedBiGRU):
    """Layers >= 1 receive cat(backward, forward) while the output keeps cat(forward, backward)."""

    def _run_stack(self, inputs, h0, lengths):
        finals = []
        for layer in range(self.num_layers):
            halves = []
            for direction in range(2):
                output, final = self._run_direction(
                    inputs, h0[2 * layer + direction], lengths, self._weights(layer, direction),
                    direction == 1,
                )
                halves.append(output)
                finals.append(final)
            last = layer == self.num_layers - 1
            inputs = torch.cat(halves if last else halves[::-1], dim=-1)
            if self.dropout > 0 and self.training and not last:
                inputs = F.dropout(inputs, self.dropout, training=True)
        return inputs, torch.stack(finals)


class BackwardStateFromLastOutput(SteppedBiGRU):
    """Final backward state taken from output[-1] (the first backward step) instead of the last."""

    def _run_stack(self, inputs, h0, lengths):
        output, h_n = super()._run_stack(inputs, h0, lengths)
        size = self.hidden_size
        h_n = h_n.clone()
        h_n[-1] = output[-1, :, size:]
        return output, h_n


class HiddenLayersTopFirst(SteppedBiGRU):
    """h_n stacked top layer first (as some encoders return it): wrong whenever L >= 2."""

    def _run_stack(self, inputs, h0, lengths):
        output, h_n = super()._run_stack(inputs, h0, lengths)
        layers = h_n.view(self.num_layers, 2, *h_n.shape[1:]).flip(0)
        return output, layers.reshape(h_n.shape)


# --- batches, calls and state --------------------------------------------------------------------


class StatefulAcrossCalls(SteppedBiGRU):
    """Without h0 it continues from the previous call's h_n (state never reset between batches)."""

    def _initial_state(self, hx, batch, input):
        previous = getattr(self, "_previous", None)
        if hx is None and previous is not None and previous.shape[1] == batch:
            hx = previous
        h0 = super()._initial_state(hx, batch, input)
        return h0

    def _run_stack(self, inputs, h0, lengths):
        output, h_n = super()._run_stack(inputs, h0, lengths)
        self._previous = h_n.detach()
        return output, h_n


class CachesOutputByShape(SteppedBiGRU):
    """Memoises the result per input shape (a 'speed-up'): new values of the same shape get stale results."""

    def forward(self, input, hx=None):
        key = (tuple(input.shape), None if hx is None else tuple(hx.shape)) if isinstance(input, Tensor) else None
        cache = self.__dict__.setdefault("_cache", {})
        if key is not None and key in cache:
            return cache[key]
        result = super().forward(input, hx)
        if key is not None:
            cache[key] = result
        return result


class ScalesInputInPlace(SteppedBiGRU):
    """Normalises the caller's input in place (input.mul_) instead of out of place."""

    def forward(self, input, hx=None):
        if isinstance(input, Tensor):
            with torch.no_grad():
                input.mul_(0.5)
        return super().forward(input, hx)


class IgnoresH0ForBatchOfOne(SteppedBiGRU):
    """h0 squeezed then dropped when its rank looks wrong: ignored whenever B == 1."""

    def _initial_state(self, hx, batch, input):
        if hx is not None:
            hx = hx.squeeze()
            if hx.dim() != 3:
                hx = None
        return super()._initial_state(hx, batch, input)


class EvalFastPathIgnoresBackwardH0(SteppedBiGRU):
    """An inference fast path (eval mode) that starts the backward direction from zeros."""

    def _run_stack(self, inputs, h0, lengths):
        if not self.training:
            h0 = h0.clone()
            h0[1::2] = 0
        return super()._run_stack(inputs, h0, lengths)


class DetachesInitialState(SteppedBiGRU):
    """h0 detached on entry (a truncated-BPTT habit moved into the layer): no gradient reaches h0."""

    def _initial_state(self, hx, batch, input):
        return super()._initial_state(None if hx is None else hx.detach(), batch, input)


class StoresFinalStateInCallersH0(SteppedBiGRU):
    """Writes h_n back into the caller's h0 tensor in place, to 'carry the state' to the next call."""

    def forward(self, input, hx=None):
        output, h_n = super().forward(input, hx)
        if hx is not None and hx.shape == h_n.shape and not hx.requires_grad:
            with torch.no_grad():
                hx.copy_(h_n)
        return output, h_n


class TopLayerReusesLayerOneWeights(SteppedBiGRU):
    """Layers >= 2 read layer 1's weights (an index clamped by min(layer, 1)): wrong for L = 3 only."""

    def _weights(self, layer, direction):
        return super()._weights(min(layer, 1), direction)


# --- packed sequences ----------------------------------------------------------------------------


class BackwardIgnoresLengths(SteppedBiGRU):
    """Packed input: lengths mask the forward direction only; the backward one starts on padding."""

    def is_real(self, t, lengths, reverse):
        if reverse:
            return torch.ones_like(lengths, dtype=torch.bool).unsqueeze(-1)
        return super().is_real(t, lengths, reverse)


class LengthsOffByOne(SteppedBiGRU):
    """Packed input: mask written t <= length, so every sequence takes one padding step."""

    def is_real(self, t, lengths, reverse):
        return (t <= lengths).unsqueeze(-1)


class PackedStatesInSortedOrder(SteppedBiGRU):
    """Packed input: h_n returned in length-sorted order instead of the caller's order."""

    def _forward_packed(self, packed, hx):
        output, h_n = super()._forward_packed(packed, hx)
        if packed.sorted_indices is not None:
            h_n = h_n.index_select(1, packed.sorted_indices)
        return output, h_n


class PackedOutputNotResorted(SteppedBiGRU):
    """Packed input: output repacked without restoring the input's sort order (lengths sorted, rows not)."""

    def _forward_packed(self, packed, hx):
        padded, lengths = pad_packed_sequence(packed)
        h0 = self._initial_state(hx, padded.shape[1], padded)
        output, h_n = self._run_stack(padded, h0, lengths.to(padded.device))
        if packed.sorted_indices is not None:
            lengths = lengths.index_select(0, packed.sorted_indices.to(lengths.device))
        data = pack_padded_sequence(output, lengths, enforce_sorted=True).data
        return PackedSequence(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices), h_n


class PackedStatesRestoredWithSortedIndices(SteppedBiGRU):
    """Packed input run in sorted order as torch does, h_n restored with sorted_indices, not unsorted.

    Invisible whenever the sort permutation is its own inverse (every batch of two, most of three).
    """

    def _forward_packed(self, packed, hx):
        if packed.sorted_indices is None:
            return super()._forward_packed(packed, hx)
        padded, lengths = pad_packed_sequence(packed)  # caller's order
        order = packed.sorted_indices.to(padded.device)
        h0 = self._initial_state(hx, padded.shape[1], padded).index_select(1, order)
        output, h_n = self._run_stack(
            padded.index_select(1, order), h0, lengths.index_select(0, order.cpu()).to(padded.device)
        )
        data = pack_padded_sequence(output, lengths.index_select(0, order.cpu())).data
        restored = h_n.index_select(1, order)  # should be packed.unsorted_indices
        return PackedSequence(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices), restored


# --- mutants of the other correct layers --------------------------------------------------------


class FlipsPaddedTensor(TwoGRUBiGRU):
    """Two-GRU BiGRU reversing the whole padded tensor for the backward GRU, not each sequence."""

    def reverse_for_backward(self, padded, lengths):
        return padded.flip(0)

    def restore_backward_order(self, backward_output, lengths):
        return backward_output.flip(0)


class BackwardOutputNotFlippedBack(TwoGRUBiGRU):
    """Two-GRU BiGRU: backward GRU output left in reversed time order before concatenation."""

    def restore_backward_order(self, backward_output, lengths):
        return backward_output


class TanhCellUpdateCell(nn.LSTMCell):
    """An LSTMCell whose update reads tanh(c) where the equations have c."""

    def forward(self, x, state):
        return _lstm_step(self, x, state, squash_cell=True)


class NoOutputTanhCell(nn.LSTMCell):
    """An LSTMCell whose hidden state forgets the tanh of the cell state."""

    def forward(self, x, state):
        return _lstm_step(self, x, state, output_tanh=False)


class ForgetBiasInForwardCell(nn.LSTMCell):
    """An LSTMCell that adds +1 to the forget gate in forward (the forget-bias trick, done at run time)."""

    def forward(self, x, state):
        return _lstm_step(self, x, state, forget_offset=1.0)


def _lstm_step(cell, x, state, *, squash_cell=False, output_tanh=True, forget_offset=0.0):
    h, c = state
    gates = F.linear(x, cell.weight_ih, cell.bias_ih) + F.linear(h, cell.weight_hh, cell.bias_hh)
    i, f, g, o = gates.chunk(4, dim=-1)
    previous = torch.tanh(c) if squash_cell else c
    c = torch.sigmoid(f + forget_offset) * previous + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * (torch.tanh(c) if output_tanh else c)
    return h, c


class _MutatedCells(CellLoopBiLSTM):
    cell_class: type = nn.LSTMCell

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for cell in (*self.forward_cells, *self.backward_cells):
            cell.__class__ = self.cell_class


class CellStateTanhUpdate(_MutatedCells):
    """LSTM cell update c' = f*tanh(c) + i*g instead of f*c + i*g."""

    cell_class = TanhCellUpdateCell


class HiddenWithoutTanh(_MutatedCells):
    """LSTM hidden state h' = o*c' (tanh of the cell state forgotten)."""

    cell_class = NoOutputTanhCell


class ForgetBiasAddedInForward(_MutatedCells):
    """LSTM adds +1 to the forget gate pre-activation in forward instead of initialising b_f to 1."""

    cell_class = ForgetBiasInForwardCell


class InitialCellStateIgnored(CellLoopBiLSTM):
    """LSTM uses the given h0 but always starts c from zeros."""

    def forward(self, x, state=None):
        return super().forward(x, None if state is None else (state[0], torch.zeros_like(state[1])))


class InitialStateUnpackedAsCH(CellLoopBiLSTM):
    """Initial state unpacked as (c0, h0) although callers pass (h0, c0)."""

    def forward(self, x, state=None):
        return super().forward(x, None if state is None else (state[1], state[0]))


class BatchFirstStates(ContiguousLSTM):
    """nn.LSTM wrapper that also transposes h_n and c_n to batch-first when batch_first is set."""

    def forward(self, x, state=None, **ignored):
        output, (h_n, c_n) = super().forward(x, state)
        if self.rnn.batch_first and not isinstance(output, PackedSequence) and output.dim() == 3:
            h_n, c_n = h_n.transpose(0, 1), c_n.transpose(0, 1)
        return output, (h_n, c_n)


class LastStepSummedDirections(ContiguousLSTM):
    """nn.LSTM wrapper returning h_n with the two directions of each layer added ("merged")."""

    def forward(self, x, state=None, **ignored):
        output, (h_n, c_n) = super().forward(x, state)
        merged = h_n.view(-1, 2, *h_n.shape[1:]).sum(1, keepdim=True).expand(-1, 2, *h_n.shape[1:])
        return output, (merged.reshape(h_n.shape), c_n)


def _variant(base: LayerSpec, layer_class: type, build, *expected: str) -> Mutant:
    """A mutant of a correct layer that has its own spec: the same hooks, a mutated class."""
    return Mutant(
        replace(base, name=layer_class.__name__, factory=build, layer_class=layer_class),
        tuple(expected),
    )


def _cell_loop(layer_class: type):
    return lambda c: layer_class(c.input_size, c.hidden_size, c.num_layers, bias=c.bias)


def _two_gru(layer_class: type):
    return lambda c: layer_class(c.input_size, c.hidden_size, c.num_layers, c.bias, c.batch_first)


def _wrapped(layer_class: type):
    return lambda c: layer_class(**c.torch_kwargs())


MUTANTS: tuple[Mutant, ...] = (
    _gru(UpdateGateSwapped, "C11"),
    _gru(ResetBeforeMatmul, "C11"),
    _gru(BiasAddedTwice, "C11"),
    _gru(SigmoidCandidate, "C11"),
    _gru(TruncatedBackprop, "C11", "C12"),
    _gru(BackwardHiddenWeightViaData, "C6", "C11"),
    _gru(ComputesInFloat32, "C15"),
    _gru(BackwardWritesMirroredStep, "C3", "C4", "C11"),
    _gru(SharedDirectionWeights, "C6", "C11"),
    _gru(BackwardH0FromForwardRow, "C10", "C11"),
    _gru(BackwardIgnoresH0, "C10", "C11"),
    _gru(UpperLayersGetBackwardFirst, "C11"),
    _gru(BackwardStateFromLastOutput, "C3", "C11"),
    _gru(HiddenLayersTopFirst, "C11"),
    _gru(StatefulAcrossCalls, "C13"),
    _gru(CachesOutputByShape, "C5", "C10"),
    _gru(ScalesInputInPlace, "C11"),
    _gru(IgnoresH0ForBatchOfOne, "C10", "C11"),
    _gru(EvalFastPathIgnoresBackwardH0, "C11", "C13"),
    _gru(DetachesInitialState, "C11"),
    _gru(StoresFinalStateInCallersH0, "C13"),
    _gru(TopLayerReusesLayerOneWeights, "C6", "C11"),
    _gru(BackwardIgnoresLengths, "C9"),
    _gru(LengthsOffByOne, "C9"),
    _gru(PackedStatesInSortedOrder, "C9"),
    _gru(PackedOutputNotResorted, "C9"),
    _gru(PackedStatesRestoredWithSortedIndices, "C9"),
    _variant(TWO_GRU_BIGRU, FlipsPaddedTensor, _two_gru(FlipsPaddedTensor), "C9"),
    _variant(
        TWO_GRU_BIGRU, BackwardOutputNotFlippedBack, _two_gru(BackwardOutputNotFlippedBack),
        "C3", "C4", "C11",
    ),
    _variant(CELL_LOOP_BILSTM, CellStateTanhUpdate, _cell_loop(CellStateTanhUpdate), "C11"),
    _variant(CELL_LOOP_BILSTM, HiddenWithoutTanh, _cell_loop(HiddenWithoutTanh), "C11"),
    _variant(CELL_LOOP_BILSTM, InitialStateUnpackedAsCH, _cell_loop(InitialStateUnpackedAsCH), "C11"),
    _variant(CELL_LOOP_BILSTM, ForgetBiasAddedInForward, _cell_loop(ForgetBiasAddedInForward), "C11"),
    _variant(CELL_LOOP_BILSTM, InitialCellStateIgnored, _cell_loop(InitialCellStateIgnored), "C10", "C11"),
    _variant(CONTIGUOUS_LSTM, BatchFirstStates, _wrapped(BatchFirstStates), "C8"),
    _variant(CONTIGUOUS_LSTM, LastStepSummedDirections, _wrapped(LastStepSummedDirections), "C3", "C11"),
)
