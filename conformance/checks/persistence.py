"""C17-C18: state round trips and memory layout.

Both clauses change how the same thing is held, never what it is: the weights (a fresh instance
loaded from ``state_dict``, a deep copy, a ``torch.save``/``torch.load`` round trip) or the input's
memory (a transposed view, a strided slice, an expanded tensor). The results must not notice.
"""

from __future__ import annotations

import copy
import io
import warnings

import torch

from conformance.adapters import states_of
from conformance.checks import check, needs_feature
from conformance.compare import close
from conformance.failures import ConformanceFailure
from conformance.tolerances import EXACT
from conformance.trial import Trial

# -- C17 state-round-trip --------------------------------------------------------------------------

NOT_IN_STATE_DICT = (
    "the copy and the pickled module agree, the instance loaded from state_dict does not: "
    "something that affects the result is not in state_dict (a plain tensor attribute, or a buffer "
    "registered with persistent=False, drawn at construction)"
)
STALE_CACHE = (
    "a fresh instance that was never run agrees after load_state_dict, one that was run before "
    "does not: a value computed on the first call (fused or transposed weights) is cached and not "
    "refreshed when the parameters change"
)


@check("C17", requires=needs_feature("serialization", "C17 round-trips the layer's state"))
def state_round_trip(trial: Trial) -> None:
    example = trial.draw_example()
    # eval mode: where checkpoints are used, and where inference-only caches live
    layer = trial.layer().eval()
    x = trial.input()
    state = trial.initial_state() if example.with_initial_state else None
    expected = trial.run(layer, x, state)

    # A fresh instance (other weights) that has already run, as in "build, use, load a checkpoint".
    fresh = trial.layer(seed=(example.seed + 1) % 2**31).eval()
    trial.run(fresh, x, state)
    _load(trial, fresh, layer.state_dict(), "a fresh instance, already run once")
    loaded = trial.run(fresh, x, state)

    trial.activity = "running the deep copy made for C17"
    copied = trial.run(_deep_copy(trial, layer), x, state)
    pickled = copied  # a spec that declines pickling: the round trips it does support
    if trial.spec.features.pickling:
        trial.activity = "running the module after torch.save/torch.load"
        pickled = trial.run(_saved_and_loaded(trial, layer), x, state)
    trial.activity = "running a fresh instance loaded from state_dict"
    from_file = trial.layer(seed=(example.seed + 2) % 2**31).eval()
    _load(trial, from_file, _saved_state_dict(trial, layer), "a fresh instance")
    reloaded = trial.run(from_file, x, state)

    _require_identical(trial, copied, expected, "copy.deepcopy of the layer", None)
    _require_identical(
        trial, pickled, expected, f"the layer after {_whole_module_round_trip(layer)}", None
    )
    hint = None
    if _same(trial, copied, expected) and _same(trial, pickled, expected):
        hint = NOT_IN_STATE_DICT
        if _same(trial, reloaded, expected):  # the instance that never ran before loading is right
            hint = STALE_CACHE
    _require_identical(trial, loaded, expected, "a fresh instance after load_state_dict", hint)
    _require_identical(
        trial, reloaded, expected,
        "a fresh instance loaded from a state_dict saved with torch.save (weights_only=True)", hint,
    )


def _load(trial: Trial, module, state_dict, what: str) -> None:
    try:
        module.load_state_dict(state_dict)
    except Exception as error:
        raise trial.fail(
            f"load_state_dict of the layer's own state_dict into {what} raised "
            f"{type(error).__name__}: {error}",
            hint="the keys and shapes of state_dict must depend on the configuration only",
        ) from error


def _deep_copy(trial: Trial, layer):
    try:
        return copy.deepcopy(layer)
    except Exception as error:
        raise trial.fail(f"copy.deepcopy(layer) raised {type(error).__name__}: {error}") from error


def _whole_module_round_trip(layer) -> str:
    if isinstance(layer, torch.jit.ScriptModule):
        return "torch.jit.save/torch.jit.load"
    return "torch.save/torch.load"


def _saved_and_loaded(trial: Trial, layer):
    """The whole module through torch.save/torch.load (a pickle: weights_only=False), or through
    torch.jit.save/load for a ScriptModule, which pickle cannot hold and TorchScript's own format can."""
    buffer = io.BytesIO()
    scripted = isinstance(layer, torch.jit.ScriptModule)
    try:
        if scripted:
            with warnings.catch_warnings():  # torch's deprecation notice is not the user's concern
                warnings.simplefilter("ignore", DeprecationWarning)
                torch.jit.save(layer, buffer)
                buffer.seek(0)
                return torch.jit.load(buffer, map_location=trial.device)
        torch.save(layer, buffer)
        buffer.seek(0)
        return torch.load(buffer, weights_only=False)
    except Exception as error:
        raise trial.fail(
            f"{_whole_module_round_trip(layer)} of the whole layer raised {type(error).__name__}: {error}",
            hint=None
            if scripted
            else "pickle could not hold the module: an attribute may be a lambda, a local class or "
            "an open resource. If the layer is not meant to be pickled (checkpoints hold its "
            "state_dict), declare Features(pickling=False)",
        ) from error


def _saved_state_dict(trial: Trial, layer):
    buffer = io.BytesIO()
    try:
        torch.save(layer.state_dict(), buffer)
        buffer.seek(0)
        return torch.load(buffer, weights_only=True)
    except Exception as error:
        raise trial.fail(
            f"torch.save(layer.state_dict())/torch.load(weights_only=True) raised "
            f"{type(error).__name__}: {error}",
            hint="state_dict should hold tensors only, so that it loads with weights_only=True",
        ) from error


def _round_trip_tolerance(trial: Trial):
    """Exact on CPU. On an accelerator a reloaded module may rebuild its weights' memory layout
    (cuDNN's flat buffer) and take another kernel, so the dtype's tolerance applies there."""
    return EXACT if trial.device.type == "cpu" else trial.tolerance()


def _same(trial: Trial, actual, expected) -> bool:
    pairs = zip((actual[0], *states_of(actual[1])), (expected[0], *states_of(expected[1])))
    return all(close(a, e, _round_trip_tolerance(trial)) for a, e in pairs)


def _require_identical(trial: Trial, actual, expected, what: str, hint: str | None) -> None:
    __tracebackhide__ = True
    trial.assert_same_results(actual, expected, what=what, tolerance=_round_trip_tolerance(trial), hint=hint)


# -- C18 memory-layout -----------------------------------------------------------------------------

RAW_MEMORY = (
    "contiguous tensors give the right result and this layout does not: the layer reads memory "
    "as if it were contiguous (as_strided, data_ptr or storage arithmetic, a numpy round trip); "
    "call .contiguous() first, or use reshape and transpose"
)


def _transposed_view(tensor: torch.Tensor) -> torch.Tensor:
    """The same values, held transposed in memory: a (0, 1)-transposed view of the transpose."""
    return tensor.transpose(0, 1).contiguous().transpose(0, 1)


def _strided_slice(tensor: torch.Tensor) -> torch.Tensor:
    """The same values as every other feature of a twice-as-wide tensor (stride 2 in the last dim).

    The skipped features hold other values, so a layer that reads raw memory reads those.
    """
    wide = torch.full((*tensor.shape[:-1], 2 * tensor.shape[-1]), 7.0, dtype=tensor.dtype, device=tensor.device)
    wide[..., ::2] = tensor
    return wide[..., ::2]


def _with_layout(state, layout):
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(layout(t) for t in state)
    return layout(state)


LAYOUTS = {
    "a transposed view": _transposed_view,
    "a strided slice (every other feature of a wider tensor)": _strided_slice,
}


@check("C18")
def memory_layout(trial: Trial) -> None:
    example = trial.draw_example()
    config, spec = example.config, trial.spec
    batch_dim = 0 if config.batch_first else 1
    layer = trial.layer()
    x = trial.input()
    state = trial.initial_state() if spec.features.initial_state else None
    expected = trial.run(layer, x, state)

    cases = []
    for description, layout in LAYOUTS.items():
        cases.append((f"the input as {description}", layout(x), state, expected))
        if state is not None:
            cases.append((f"h0 as {description}", x, _with_layout(state, layout), expected))
    # Expanded tensors (stride 0 over the batch): every element the same sequence and h0 row,
    # compared with a contiguous copy of the same values.
    expanded = x.narrow(batch_dim, 0, 1).expand(x.shape)
    expanded_state = _with_layout(state, lambda t: t[:, :1].expand(t.shape))
    contiguous_state = _with_layout(expanded_state, torch.Tensor.contiguous)
    expanded_expected = trial.run(layer, expanded.contiguous(), contiguous_state)
    cases.append(("the input expanded over the batch (stride 0)", expanded, contiguous_state, expanded_expected))
    if state is not None:
        cases.append((
            "h0 expanded over the batch (stride 0)", expanded.contiguous(), expanded_state, expanded_expected
        ))

    for description, inputs, initial, wanted in cases:
        actual = _run_with_layout(trial, layer, inputs, initial, description)
        trial.assert_same_results(actual, wanted, what=f"the run with {description}", hint=RAW_MEMORY)


NEEDS_CONTIGUOUS = (
    "the layer hands a non-contiguous tensor to a kernel that requires contiguous memory, as "
    "torch's cuDNN RNN kernels do for h0 ('rnn: hx is not contiguous'; the CPU kernels accept any "
    "layout, so this breaks on GPU only): call .contiguous() on the state (and input) before "
    "passing it on, e.g. after slicing h[:, :batch], transposing or expanding it"
)
RAISES_ON_LAYOUT = (
    "the layer may call .view() on a tensor that is not contiguous, or read its memory "
    "directly; use reshape, or call .contiguous() first"
)


def _run_with_layout(trial: Trial, layer, x, state, description: str):
    __tracebackhide__ = True
    try:
        return trial.run(layer, x, state)
    except ConformanceFailure as failure:
        raise trial.fail(
            f"with {description} (the same values as a contiguous call that works): {failure.detail}",
            hint=NEEDS_CONTIGUOUS if _rejects_layout(failure.__cause__) else RAISES_ON_LAYOUT,
        ) from failure


def _rejects_layout(error: BaseException | None) -> bool:
    """A kernel's own contiguity check: cuDNN's ``rnn: hx is not contiguous`` and its kin."""
    return isinstance(error, RuntimeError) and any(
        words in str(error) for words in ("not contiguous", "must be contiguous")
    )
