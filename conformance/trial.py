"""One hypothesis example of one check: draws, builds the layer and inputs, runs it, and
remembers enough to print the configuration and a repro snippet when the clause fails."""

from __future__ import annotations

from typing import Any

import torch
from hypothesis import strategies as st

from conformance import adapters, input_guard, time_limits
from conformance.compare import OutputLayout, assert_close, locate_state
from conformance.failures import ConformanceFailure, LayerContractError
from conformance.spec import LayerConfig, LayerSpec
from conformance.strategies import Example, examples
from conformance.tolerances import Tolerance, tolerance_for

INPUT_LOW, INPUT_HIGH = -2.0, 2.0


class Trial:
    def __init__(self, spec: LayerSpec, clause_id: str, device: str, draw) -> None:
        self.spec = spec
        self.clause_id = clause_id
        self.device = torch.device(device)
        self.dtype = getattr(torch, spec.check_dtype)
        self._draw = draw
        self.example: Example | None = None
        self.input_shape: tuple[int, ...] | None = None
        self.with_state = False
        # What the repro snippet replays: the stream positions of x and h0 (and c0), the lengths.
        self.input_index: int | None = None
        self.state_indices: tuple[int, ...] | None = None
        self.state_shapes: tuple[tuple[int, ...], ...] | None = None
        self.drawn: dict[str, Any] = {}
        self.activity: str | None = None  # what the check is doing, for an adapter's error
        # (what was compared, [(label, x, state), ...], optional lines to run first): the calls a
        # relational clause compared, written out by the repro snippet
        self.replay: tuple | None = None
        self.earlier: list[Trial] = []  # examples that differentiated the layer before this one
        self.clauses_before: list[str] = []  # the clauses run on the layer before, in this process
        self.profile_name: str | None = None  # the run's hypothesis profile, when it has a name
        self._inputs_made = 0
        self._calls = 0  # calls of the layer in this example, for the time limit's message

    # -- drawing -----------------------------------------------------------------------------
    def draw(self, strategy: st.SearchStrategy, label: str) -> Any:
        value = self._draw(strategy, label=label)
        self.drawn.setdefault(label, value)
        return value

    def draw_example(self, **options: Any) -> Example:
        """Draw the configuration, sizes and seed of this example (see strategies.examples)."""
        self.example = self.draw(examples(self.spec, **options), "example")
        return self.example

    @property
    def config(self) -> LayerConfig:
        assert self.example is not None, "draw_example() first"
        return self.example.config

    # -- building ----------------------------------------------------------------------------
    def layer(self, config: LayerConfig | None = None, *, dtype=None, device=None, seed=None):
        """The layer under test, built from the example's seed (the same weights every call)."""
        __tracebackhide__ = True
        config = config or self.config
        what = f"{self.spec.name}'s factory (clause {self.clause_id}, configuration {config})"
        limit = None  # bound before the try: the case's alarm may ring before `as limit` binds
        try:
            with time_limits.call_limit(what) as limit:
                return adapters.build_layer(
                    self.spec,
                    config,
                    seed=self.example.seed if seed is None else seed,
                    device=device or self.device,
                    dtype=dtype or self.dtype,
                )
        except LayerContractError as error:
            raise ConformanceFailure(
                self.clause_id,
                str(error),
                hint="the layer could not be built from torch's constructor arguments for this "
                "configuration; the repro below builds it the same way (a spec's `factory` can adapt them)",
            ) from error
        except time_limits.LayerTimeout as timeout:
            if limit is None or timeout.limit is not limit:
                raise  # the case's budget, not this call's: the engine decides
            raise time_limits.SearchStopped(
                self.fail(
                    f"{what} did not return within {time_limits.seconds_text(limit.seconds)}; it was "
                    f"running {timeout.where}"
                ),
                self,
            ) from None

    def tensor(self, shape, *, dtype=None, device=None) -> torch.Tensor:
        """Bounded, finite values; each call draws the next tensor of the example's stream."""
        generator = torch.Generator().manual_seed(self.example.seed + 1 + self._inputs_made)
        self._inputs_made += 1
        values = torch.rand(tuple(shape), generator=generator, dtype=torch.float64)
        values = values * (INPUT_HIGH - INPUT_LOW) + INPUT_LOW
        return values.to(device=device or self.device, dtype=dtype or self.dtype)

    def input(
        self, *, batch_first: bool | None = None, batched: bool = True, **kwargs
    ) -> torch.Tensor:
        """x for the example: (T,B,I), (B,T,I) with batch_first, or (T,I) unbatched."""
        example, config = self.example, self.config
        batch_first = config.batch_first if batch_first is None else batch_first
        if not batched:
            shape = (example.seq_len, config.input_size)
        elif batch_first:
            shape = (example.batch, example.seq_len, config.input_size)
        else:
            shape = (example.seq_len, example.batch, config.input_size)
        if self.input_shape is None:
            self.input_shape, self.input_index = shape, self._inputs_made
        return self.tensor(shape, **kwargs)

    def initial_state(
        self,
        config: LayerConfig | None = None,
        *,
        batch: int | None = None,
        batched: bool = True,
        **kwargs,
    ):
        """h0, or (h0, c0) for an LSTM, of torch's shapes (2L,B,H_out) and (2L,B,H); unbatched drops B."""
        config = config or self.config
        batch = self.example.batch if batch is None else batch
        batch_dims = (batch,) if batched else ()
        first = self._inputs_made
        h0 = self.tensor((2 * config.num_layers, *batch_dims, config.output_size), **kwargs)
        self.with_state = True
        if not self.spec.has_cell_state:
            self.state_indices = self.state_indices or (first,)
            self.state_shapes = self.state_shapes or (tuple(h0.shape),)
            return h0
        c0 = self.tensor((2 * config.num_layers, *batch_dims, config.hidden_size), **kwargs)
        self.state_indices = self.state_indices or (first, first + 1)
        self.state_shapes = self.state_shapes or (tuple(h0.shape), tuple(c0.shape))
        return h0, c0

    # -- running -----------------------------------------------------------------------------
    def run(self, module, x, state=None, *, allow_nonfinite: bool = False):
        """Call the layer; a layer that raises, hangs, changes its input, or returns the wrong
        type, device or NaN fails this clause."""
        __tracebackhide__ = True
        self._calls += 1
        call = self._describe_call(x, state)
        before = input_guard.snapshot(x, state)
        limit = None  # bound before the try: the case's alarm may ring before `as limit` binds
        try:
            with time_limits.call_limit(call) as limit:
                output, final = adapters.run_layer(
                    self.spec,
                    module,
                    x,
                    state,
                    doing=f"{self.activity or 'calling the layer'} for {self.clause_id} ({call})",
                )
        except adapters.AdapterError as error:
            raise ConformanceFailure(
                self.clause_id,
                str(error),
                hint="fix the spec's hook: the layer itself did not raise (the repro below makes "
                "the same call through the hook)",
            ) from error
        except LayerContractError as error:
            raise ConformanceFailure(self.clause_id, str(error)) from error
        except time_limits.LayerTimeout as timeout:
            if limit is None or timeout.limit is not limit:
                raise  # the case's budget, not this call's: the engine decides
            # Stop the whole search: hypothesis would replay and shrink it, each try hanging too.
            raise time_limits.SearchStopped(
                self.fail(
                    f"{self.spec.name} did not return within {time_limits.seconds_text(limit.seconds)} "
                    f"(clause {self.clause_id}, {call}); it was running {timeout.where}",
                    hint="stopped by the per-call time limit (--birnn-timeout, default "
                    f"{time_limits.seconds_text(time_limits.DEFAULT_SECONDS)}); the example was "
                    "not retried or shrunk. A loop that never ends? The repro below makes the same call",
                ),
                self,
            ) from None
        except Exception as error:  # the layer's own code raised
            raise ConformanceFailure(
                self.clause_id,
                f"{self.spec.name} raised {type(error).__name__}: {error}",
                hint="the layer raised on a valid input; the repro below calls it the same way",
            ) from error
        changed = input_guard.first_change(before, x, state)
        if changed is not None:
            raise self.fail(
                f"{self.spec.name} modified its input in place ({changed}; {call})",
                hint="a layer must leave the tensors it is given as they were: callers reuse them "
                "(a second run, the other direction, the loss); compute on a new tensor "
                "(x = x * 2, not x.mul_(2))",
            )
        self._require_input_device(x, output, final)
        if not allow_nonfinite:
            self._require_finite(output, final)
        return output, final

    def _describe_call(self, x, state) -> str:
        data = x.data if isinstance(x, torch.nn.utils.rnn.PackedSequence) else x
        shape = tuple(data.shape) if isinstance(data, torch.Tensor) else type(data).__name__
        packed = "packed " if data is not x else ""
        given = ", with h0" if state is not None else ""
        return f"call {self._calls} of this example: {packed}x of shape {shape}{given}"

    def _require_input_device(self, x, output, final) -> None:
        """Every later comparison assumes it; a tensor on 'meta' cannot even be read."""
        expected = (x.data if isinstance(x, torch.nn.utils.rnn.PackedSequence) else x).device
        data = output.data if isinstance(output, torch.nn.utils.rnn.PackedSequence) else output
        for name, tensor in [("output", data)] + [
            (f"state[{i}]", t) for i, t in enumerate(adapters.states_of(final))
        ]:
            if tensor.device != expected:
                raise self.fail(
                    f"{self.spec.name} returned its {name} on device {tensor.device} for an input on "
                    f"{expected}",
                    hint="outputs and states follow the input's device (C1); build them from the "
                    "input (x.new_zeros, torch.zeros(..., device=x.device)) rather than a fixed device",
                )

    def _require_finite(self, output, final) -> None:
        data = output.data if isinstance(output, torch.nn.utils.rnn.PackedSequence) else output
        for name, tensor in [("output", data)] + [
            (f"state[{i}]", t) for i, t in enumerate(adapters.states_of(final))
        ]:
            if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
                raise ConformanceFailure(
                    self.clause_id,
                    f"{self.spec.name} returned non-finite values (NaN or inf) in its {name} "
                    "for a finite input in [-2, 2]",
                )

    # -- comparing ---------------------------------------------------------------------------
    def tolerance(self, *, dtype=None, gradient: bool = False) -> Tolerance:
        return tolerance_for(dtype or self.dtype, gradient=gradient)

    def output_layout(
        self, config: LayerConfig | None = None, *, batched: bool = True
    ) -> OutputLayout:
        config = config or self.config
        return OutputLayout(config.batch_first, batched, config.output_size)

    def assert_same_results(
        self,
        actual,
        expected,
        *,
        what: str,
        tolerance: Tolerance | None = None,
        hint: str | None = None,
    ) -> None:
        """Compare two ``(output, state)`` results: the output, then h_n (and c_n), each located."""
        __tracebackhide__ = True
        tolerance = tolerance or self.tolerance()
        assert_close(
            actual[0],
            expected[0],
            clause_id=self.clause_id,
            what=f"output of {what}",
            tolerance=tolerance,
            locate=self.output_layout().locate,
            hint=hint,
        )
        pairs = zip(("h_n", "c_n"), adapters.states_of(actual[1]), adapters.states_of(expected[1]))
        for name, actual_state, expected_state in pairs:
            assert_close(
                actual_state,
                expected_state,
                clause_id=self.clause_id,
                what=f"{name} of {what}",
                tolerance=tolerance,
                locate=locate_state,
                hint=hint,
            )

    def fail(self, detail: str, *, hint: str | None = None) -> ConformanceFailure:
        return ConformanceFailure(self.clause_id, detail, hint=hint)
