"""The two correct custom layers in fixtures/ really are correct: they equal torch's modules.

``EquationsBiGRU`` follows torch's conventions, so it loads an ``nn.GRU`` state_dict as is;
``DictBiLSTM`` has its own interface and loads an ``nn.LSTM`` through ``torch_parameter_names``.
Both are compared in float64 (values and gradients) across the configurations the plugin draws.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

from fixtures.layers.dict_bilstm import DictBiLSTM, torch_parameter_names
from fixtures.layers.equations_bigru import EquationsBiGRU

RTOL = ATOL = 1e-10


def assert_all_close(actual: dict, expected: dict, context: object) -> None:
    assert actual.keys() == expected.keys()
    for name, value in expected.items():
        torch.testing.assert_close(
            actual[name], value, rtol=RTOL, atol=ATOL, msg=lambda m, n=name: f"{n}: {m}\n{context}"
        )


def gradients(loss: torch.Tensor, leaves: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {
        f"grad {name}": g
        for name, g in zip(leaves, torch.autograd.grad(loss, list(leaves.values())))
    }


# --- EquationsBiGRU: torch's conventions ---------------------------------------------------------


def gru_pair(input_size=3, hidden_size=4, num_layers=2, **options) -> tuple[nn.GRU, EquationsBiGRU]:
    """An nn.GRU and an EquationsBiGRU holding the same float64 weights."""
    options = {"bidirectional": True, "dtype": torch.float64, **options}
    reference = nn.GRU(input_size, hidden_size, num_layers, **options)
    layer = EquationsBiGRU(input_size, hidden_size, num_layers, **options)
    layer.load_state_dict(reference.state_dict())
    return reference, layer


def gru_results(module: nn.Module, x, h0, loss_weights) -> dict[str, torch.Tensor]:
    output, h_n = module(x, h0)
    results = {"h_n": h_n}
    if isinstance(output, PackedSequence):
        results |= {
            "packed data": output.data,
            "batch_sizes": output.batch_sizes,
            "sorted_indices": output.sorted_indices,
            "unsorted_indices": output.unsorted_indices,
        }
        output = output.data
    results["output"] = output
    loss = (output * loss_weights[0][: output.numel()].view_as(output)).sum()
    loss = loss + (h_n * loss_weights[1][: h_n.numel()].view_as(h_n)).sum()
    leaves = {"x": x.data if isinstance(x, PackedSequence) else x}
    if h0 is not None:
        leaves["h0"] = h0
    leaves |= dict(module.named_parameters())
    return results | gradients(loss, leaves)


@settings(deadline=None, max_examples=30)
@given(
    steps=st.integers(1, 5),
    batch=st.integers(1, 3),
    input_size=st.integers(1, 4),
    hidden_size=st.integers(1, 4),
    num_layers=st.integers(1, 3),
    bias=st.booleans(),
    batch_first=st.booleans(),
    with_h0=st.booleans(),
    layout=st.sampled_from(["batched", "unbatched", "packed"]),
    data=st.data(),
    seed=st.integers(0, 2**32 - 1),
)
def test_equations_bigru_matches_nn_gru(
    steps,
    batch,
    input_size,
    hidden_size,
    num_layers,
    bias,
    batch_first,
    with_h0,
    layout,
    data,
    seed,
) -> None:
    config = locals().copy()
    config.pop("data")
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        reference, layer = gru_pair(
            input_size, hidden_size, num_layers, bias=bias, batch_first=batch_first
        )
        batch_shape = () if layout == "unbatched" else (batch,)
        x_shape = (batch, steps) if batch_first else (steps, batch)
        x = torch.randn(*(x_shape if batch_shape else (steps,)), input_size, dtype=torch.float64)
        x.requires_grad_()
        h0 = torch.randn(2 * num_layers, *batch_shape, hidden_size, dtype=torch.float64)
        h0 = h0.requires_grad_() if with_h0 else None
        loss_weights = (torch.randn(2 * hidden_size * steps * batch), torch.randn(100))
        loss_weights = tuple(w.double() for w in loss_weights)
    if layout == "packed":
        lengths = data.draw(st.lists(st.integers(1, steps), min_size=batch, max_size=batch))
        config["lengths"] = lengths
        x = pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=False)
    expected = gru_results(reference, x, h0, loss_weights)
    actual = gru_results(layer, x, h0, loss_weights)
    assert_all_close(actual, expected, config)


def test_equations_bigru_initialises_like_nn_gru() -> None:
    with torch.random.fork_rng():
        torch.manual_seed(7)
        reference = nn.GRU(3, 5, 3, bidirectional=True)
        torch.manual_seed(7)
        layer = EquationsBiGRU(3, 5, 3)
    assert list(layer.state_dict()) == list(reference.state_dict())
    for (name, expected), actual in zip(reference.named_parameters(), layer.parameters()):
        assert torch.equal(actual, expected), name


def test_equations_bigru_packed_sorted_and_bidirectional_false() -> None:
    reference, layer = gru_pair(bidirectional=False, num_layers=3)
    x = torch.randn(5, 3, 3, dtype=torch.float64)
    packed = pack_padded_sequence(x, [5, 3, 1], enforce_sorted=True)
    (out_ref, h_ref), (out, h) = reference(packed), layer(packed)
    torch.testing.assert_close(out.data, out_ref.data, rtol=RTOL, atol=ATOL)
    torch.testing.assert_close(h, h_ref, rtol=RTOL, atol=ATOL)
    assert out.sorted_indices is None


BAD_CALLS = {
    "wrong feature size": lambda: (torch.randn(5, 2, 2), None),
    "h0 batch mismatch": lambda: (torch.randn(5, 2, 3), torch.zeros(4, 3, 4)),
    "h0 without directions": lambda: (torch.randn(5, 2, 3), torch.zeros(2, 2, 4)),
    "h0 of rank 2 for batched input": lambda: (torch.randn(5, 2, 3), torch.zeros(4, 4)),
    "h0 of rank 3 for unbatched input": lambda: (torch.randn(5, 3), torch.zeros(4, 1, 4)),
    "input of rank 4": lambda: (torch.randn(5, 2, 3, 1), None),
    "no time steps": lambda: (torch.randn(0, 2, 3), None),
    "dtype differs from the weights": lambda: (torch.randn(5, 2, 3, dtype=torch.float64), None),
}


@pytest.mark.parametrize("call", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_equations_bigru_rejects_what_nn_gru_rejects(call) -> None:
    reference = nn.GRU(3, 4, 2, bidirectional=True)
    layer = EquationsBiGRU(3, 4, 2)
    x, h0 = call()
    with pytest.raises((ValueError, RuntimeError)) as torch_error:
        reference(x, h0)
    with pytest.raises(torch_error.type):
        layer(x, h0)


def test_equations_bigru_empty_batch_like_nn_gru() -> None:
    reference, layer = gru_pair()
    x = torch.randn(5, 0, 3, dtype=torch.float64)
    (out_ref, h_ref), (out, h) = reference(x), layer(x)
    assert out.shape == out_ref.shape and h.shape == h_ref.shape


def test_equations_bigru_constructor_checks_like_nn_gru() -> None:
    for kwargs in ({"dropout": 1.5}, {"hidden_size": 0}, {"num_layers": 0}):
        arguments = {"input_size": 3, "hidden_size": 4} | kwargs
        with pytest.raises(ValueError):
            nn.GRU(**arguments)
        with pytest.raises(ValueError):
            EquationsBiGRU(**arguments)
    with pytest.warns(UserWarning, match="dropout"):
        EquationsBiGRU(3, 4, num_layers=1, dropout=0.5)


def test_equations_bigru_dropout_only_between_layers_in_training() -> None:
    reference, layer = gru_pair(num_layers=2, dropout=0.5)
    x = torch.randn(4, 2, 3, dtype=torch.float64)
    reference.eval()
    layer.eval()
    torch.testing.assert_close(layer(x)[0], reference(x)[0], rtol=RTOL, atol=ATOL)
    layer.train()
    assert not torch.equal(layer(x)[0], layer(x)[0])
    single = EquationsBiGRU(3, 4, 1, dropout=0.0, dtype=torch.float64).train()
    assert torch.equal(single(x)[0], single(x)[0])


# --- DictBiLSTM: a different interface, the same mathematics ----------------------------------------


def lstm_pair(n_in: int, n_hidden: int, layers: int) -> tuple[nn.LSTM, DictBiLSTM]:
    """An nn.LSTM and a DictBiLSTM holding the same float64 weights, via the name mapping."""
    reference = nn.LSTM(
        n_in, n_hidden, layers, batch_first=True, bidirectional=True, dtype=torch.float64
    )
    layer = DictBiLSTM(n_in, n_hidden, layers).double()
    names = torch_parameter_names(layer)
    layer.load_state_dict({names[name]: value for name, value in reference.state_dict().items()})
    return reference, layer


def test_torch_parameter_names_cover_every_parameter_once() -> None:
    layer = DictBiLSTM(3, 4, layers=3)
    reference = nn.LSTM(3, 4, 3, batch_first=True, bidirectional=True)
    names = torch_parameter_names(layer)
    assert set(names) == {name for name, _ in reference.named_parameters()}
    assert sorted(names.values()) == sorted(name for name, _ in layer.named_parameters())
    own = dict(layer.named_parameters())
    for torch_name, parameter in reference.named_parameters():
        assert own[names[torch_name]].shape == parameter.shape


@settings(deadline=None, max_examples=25)
@given(
    steps=st.integers(1, 5),
    batch=st.integers(1, 3),
    n_in=st.integers(1, 4),
    n_hidden=st.integers(1, 4),
    layers=st.integers(1, 3),
    with_state=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_dict_bilstm_matches_nn_lstm(
    steps, batch, n_in, n_hidden, layers, with_state, seed
) -> None:
    config = locals().copy()
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        reference, layer = lstm_pair(n_in, n_hidden, layers)
        x = torch.randn(batch, steps, n_in, dtype=torch.float64, requires_grad=True)
        state_shape = (2 * layers, batch, n_hidden)
        h0 = torch.randn(state_shape, dtype=torch.float64, requires_grad=True)
        c0 = torch.randn(state_shape, dtype=torch.float64, requires_grad=True)
        weights = {
            "output": torch.randn(batch, steps, 2 * n_hidden, dtype=torch.float64),
            "h": torch.randn(state_shape, dtype=torch.float64),
            "c": torch.randn(state_shape, dtype=torch.float64),
        }

    output, (h_n, c_n) = reference(x, (h0, c0) if with_state else None)
    expected = {"output": output, "h": h_n, "c": c_n}
    actual = layer(x, {"h": h0, "c": c0} if with_state else None)
    leaves = {"x": x, "h0": h0, "c0": c0} if with_state else {"x": x}

    def loss(results):
        return sum((results[name] * weights[name]).sum() for name in weights)

    names = torch_parameter_names(layer)
    own = dict(layer.named_parameters())
    expected |= gradients(loss(expected), leaves | dict(reference.named_parameters()))
    actual |= gradients(loss(actual), leaves | {n: own[names[n]] for n in names})
    assert_all_close(actual, expected, config)


@pytest.mark.parametrize(
    "x, state",
    [
        (torch.randn(2, 5, 2), None),
        (torch.randn(5, 3), None),
        (torch.randn(2, 0, 3), None),
        (torch.randn(2, 5, 3), {"h": torch.zeros(2, 3, 4), "c": torch.zeros(2, 3, 4)}),
        (torch.randn(2, 5, 3), {"h": torch.zeros(1, 2, 4), "c": torch.zeros(1, 2, 4)}),
    ],
    ids=["feature size", "rank 2", "no steps", "state batch", "state without directions"],
)
def test_dict_bilstm_rejects_bad_input(x, state) -> None:
    with pytest.raises(ValueError):
        DictBiLSTM(3, 4)(x, state)
