"""Plain-torch repros of the real defects the suite found in the third-party layers.

    python bench/third_party/repros.py

No plugin involved: each function builds the copied layer, calls it as its own documentation says,
and returns True when the defect shows. CLASSIFICATION.md points at these by name.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import torch
from torch.nn.utils.rnn import pack_padded_sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
warnings.filterwarnings("ignore", module="torch.jit")

from bench.third_party.upstream import torchscript_lstms as ts  # noqa: E402
from bench.third_party.upstream.allennlp_augmented_lstm import BiAugmentedLstm  # noqa: E402
from bench.third_party.upstream.allennlp_stacked_bidirectional_lstm import StackedBidirectionalLstm  # noqa: E402
from bench.third_party.upstream.d2l_birnn import BiRNNScratch  # noqa: E402
from bench.third_party.upstream.fastai_qrnn import QRNN  # noqa: E402
from bench.third_party.upstream.indrnn import BasicIndRNN  # noqa: E402


def raises(function) -> bool:
    try:
        function()
    except Exception:
        return True
    return False


def torchscript_lstm_ignores_dropout() -> bool:
    """script_lstm(..., dropout=0.5, bidirectional=True) builds StackedLSTM2: dropout never applied."""
    torch.manual_seed(0)
    layer = ts.script_lstm(3, 4, 2, dropout=0.5, bidirectional=True).train()
    x = torch.randn(5, 2, 3)
    states = [[ts.LSTMState(torch.zeros(2, 4), torch.zeros(2, 4))] * 2] * 2
    return torch.equal(layer(x, states)[0], layer(x, states)[0])


def torchscript_lstm_broadcasts_h0_batch() -> bool:
    """An (h, c) of batch 1 is broadcast over an input of batch 2 instead of being rejected."""
    layer = ts.script_lstm(3, 4, 1, bidirectional=True)
    states = [[ts.LSTMState(torch.zeros(1, 4), torch.zeros(1, 4))] * 2]
    return layer(torch.randn(5, 2, 3), states)[0].shape == (5, 2, 8)


def gradcheck_with_states(make, input_size, hidden, steps, batch) -> bool:
    """gradcheck of (output, h_n, c_n) with respect to x, for a fresh one-layer TorchScript LSTM."""
    torch.manual_seed(0)
    layer = make(input_size, hidden, 1, bidirectional=True).double()
    h = torch.zeros(batch, hidden, dtype=torch.float64)
    x = torch.randn(steps, batch, input_size, dtype=torch.float64, requires_grad=True)

    def function(x):
        output, states = layer(x, [[(h, h), (h, h)]])
        return (output, *ts.double_flatten_states(states))

    return torch.autograd.gradcheck(function, (x,), fast_mode=True)


def torchscript_lstm_autodiff_fails_on_a_second_size() -> bool:
    """gradcheck passes on a fresh script_lstm of one size, then raises inside TorchScript's
    autodiff on a fresh one of another size ("non-reduction path was assumed due to unbacked
    symbols"): executor state shared across instances, a torch bug."""
    first = gradcheck_with_states(ts.script_lstm, 1, 1, 1, 1)
    return first and raises(lambda: gradcheck_with_states(ts.script_lstm, 2, 2, 3, 2))


def torchscript_layer_norm_lstm_autodiff_fails_on_a_second_size() -> bool:
    """The same with script_lnlstm: "Schema not found for node. File a bug report."."""
    first = gradcheck_with_states(ts.script_lnlstm, 1, 2, 1, 1)
    return first and raises(lambda: gradcheck_with_states(ts.script_lnlstm, 2, 2, 3, 2))


def allennlp_stacked_shares_h0_between_directions() -> bool:
    """The documented (num_layers, B, 2H) state raises; the (num_layers, B, H) that runs is fed to both directions."""
    layer = StackedBidirectionalLstm(3, 4, 1)
    x = pack_padded_sequence(torch.randn(2, 5, 3), [5, 5], batch_first=True)
    documented = raises(lambda: layer(x, (torch.zeros(1, 2, 8), torch.zeros(1, 2, 8))))
    h = torch.randn(1, 2, 4)
    (_, (h_n, _)) = layer(x, (h, torch.zeros(1, 2, 4)))
    return documented and h_n.shape == (2, 2, 4)  # two directions out, one h0 row in


def allennlp_accepts_h0_of_another_batch() -> bool:
    """An h0 of batch 3 for an input of batch 2 is sliced silently; h_n comes back with batch 3."""
    layer = StackedBidirectionalLstm(3, 4, 1)
    x = pack_padded_sequence(torch.randn(2, 5, 3), [5, 5], batch_first=True)
    _, (h_n, _) = layer(x, (torch.zeros(1, 3, 4), torch.zeros(1, 3, 4)))
    return h_n.shape[1] == 3


def allennlp_bi_augmented_mixes_h0_and_c0() -> bool:
    """states=(h, c) of shape (L, B, 2H): the forward direction runs from (h_fwd, h_bwd), not (h_fwd, c_fwd)."""
    torch.manual_seed(0)
    layer = BiAugmentedLstm(3, 4, 1, bidirectional=True)
    x = pack_padded_sequence(torch.randn(2, 1, 3), [1, 1], batch_first=True)
    h, c = torch.randn(1, 2, 8), torch.randn(1, 2, 8)
    forward_only = layer.forward_layers[0](x, (h[..., :4], c[..., :4]))[1][0]  # what it should be
    return not torch.allclose(layer(x, (h, c))[1][0][0], forward_only[0])


def allennlp_bi_augmented_keeps_bias_when_bias_false() -> bool:
    layer = BiAugmentedLstm(3, 4, 1, bias=False, bidirectional=True)
    return any("bias" in name for name, _ in layer.named_parameters())


def indrnn_recurrent_weight_uninitialised() -> bool:
    """weight_hh is torch.Tensor(1, H) and reset_parameters never fills it: seeding does not fix it."""
    weights = []
    for _ in range(3):
        torch.manual_seed(0)
        layer = BasicIndRNN(1, 8, 1, bidirection=True, batch_norm=False)
        weights.append(layer.cells[0][0].weight_hh.detach().clone())
    return not all(torch.equal(weights[0], w) for w in weights[1:])


def indrnn_broadcasts_h0_batch() -> bool:
    layer = BasicIndRNN(3, 4, 1, bidirection=True, batch_norm=False)
    return layer(torch.randn(2, 5, 3), torch.zeros(1, 1, 8))[0].shape == (2, 5, 8)


def indrnn_forward_rebinds_weight_data() -> bool:
    """clip_weight() runs in forward and rebinds weight_hh.data: a finite difference through a
    reference taken before the call is lost, so gradcheck sees a zero numerical gradient."""
    torch.manual_seed(0)
    init = [torch.nn.init.uniform_]
    layer = BasicIndRNN(
        1, 1, 1, bidirection=True, batch_norm=False, recurrent_weight_initializers=init
    )
    layer = layer.double()
    x = (
        torch.rand((1, 2, 1), generator=torch.Generator().manual_seed(1), dtype=torch.float64) * 4
        - 2
    )
    weight = layer.cells[0][0].weight_hh.detach().clone().requires_grad_()

    def output(weight):
        return torch.func.functional_call(layer, {"cells.0.0.weight_hh": weight}, (x,))[0]

    return not torch.autograd.gradcheck(output, (weight,), raise_exception=False)


def quantizable_lstm_unbatched_keeps_batch_dimension() -> bool:
    """nn.LSTM maps an unbatched (T, I) to (T, 2H); the quantizable LSTM silently returns 3-D tensors
    ((5, 3, 8) for T=5, I=3, H=4, and h_n (2, 3, 4))."""
    output, (h_n, _) = torch.ao.nn.quantizable.LSTM(3, 4, bidirectional=True)(torch.randn(5, 3))
    return output.dim() == 3 and h_n.dim() == 3


def quantizable_lstm_accepts_4d_h0() -> bool:
    layer = torch.ao.nn.quantizable.LSTM(3, 4, bidirectional=True)
    state = (torch.zeros(2, 1, 2, 4), torch.zeros(2, 1, 2, 4))
    return not raises(lambda: layer(torch.randn(5, 2, 3), state))


def quantizable_lstm_default_state_is_float32() -> bool:
    layer = torch.ao.nn.quantizable.LSTM(3, 4, bidirectional=True).double()
    return raises(lambda: layer(torch.randn(5, 2, 3, dtype=torch.float64)))


def d2l_birnn_broadcasts_h0_batch() -> bool:
    layer = BiRNNScratch(3, 4)
    state = ((torch.zeros(1, 4),), (torch.zeros(1, 4),))
    return layer(torch.randn(5, 2, 3), state)[0][0].shape == (2, 8)


def fastai_qrnn_broadcasts_h0_batch() -> bool:
    layer = QRNN(3, 4, 1, batch_first=False, bidirectional=True)
    return layer(torch.randn(5, 2, 3), torch.zeros(2, 1, 4))[0].shape == (5, 2, 8)


def fastai_qrnn_ignores_dropout() -> bool:
    """`o = F.dropout(o, ...)` rebinds the loop variable: the dropped-out tensors are thrown away."""
    torch.manual_seed(0)
    layer = QRNN(3, 4, 2, dropout=0.5, bidirectional=True).train()
    x = torch.randn(2, 5, 3)
    return torch.equal(layer(x)[0], layer(x)[0])


def quantizable_lstm_two_layers_fail() -> bool:
    """Layers >= 1 of a bidirectional torch.ao.nn.quantizable.LSTM are built for H inputs, not 2H."""
    layer = torch.ao.nn.quantizable.LSTM(3, 4, num_layers=2, bidirectional=True)
    return raises(lambda: layer(torch.randn(5, 2, 3)))


def d2l_birnn_default_state_is_float32() -> bool:
    """With no state, RNNScratch starts from torch.zeros(...) in the default dtype: float64 input fails."""
    layer = BiRNNScratch(3, 4).double()
    return raises(lambda: layer(torch.randn(5, 2, 3, dtype=torch.float64)))


REPROS = [
    value
    for name, value in dict(globals()).items()
    if callable(value)
    and name[0].islower()
    and name not in ("raises", "pack_padded_sequence", "gradcheck_with_states")
]

if __name__ == "__main__":
    for repro in REPROS:
        print(
            f"{'reproduced' if repro() else 'NOT reproduced':15} {repro.__name__}: {repro.__doc__ or ''}".rstrip()
        )
