"""One hypothesis example of one model check: draws sequences, builds the model in eval mode,
runs batches through the spec's ``run``, compares results, and remembers every batch it ran so
that a failure can print a repro snippet."""

from __future__ import annotations

from typing import Any

import torch
from hypothesis import strategies as st

from conformance import device_support, time_limits
from conformance.compare import assert_close, locate_flat
from conformance.failures import ConformanceFailure
from conformance.models.batching import ResultError, per_sequence
from conformance.models.spec import ModelSpec
from conformance.tolerances import EXACT, Tolerance, tolerance_for


class ModelTrial:
    def __init__(self, spec: ModelSpec, clause_id: str, device: str, draw: Any) -> None:
        self.spec = spec
        self.clause_id = clause_id
        self.device = torch.device(device)
        self.dtype = getattr(torch, spec.dtype)
        self._draw = draw
        self.seed: int | None = None
        self.batches: list[list[torch.Tensor]] = []  # every batch run, in order, for the repro
        self._model = None
        self.compared: tuple[str, str] | None = (
            None  # the two results a failure compared, for the repro
        )

    @property
    def calls(self) -> int:
        """How many batches ran so far: the number of the last call."""
        return len(self.batches)

    # -- drawing -----------------------------------------------------------------------------
    def draw(self, strategy: st.SearchStrategy, label: str) -> Any:
        return self._draw(strategy, label=label)

    def length(self, label: str, *, low: int | None = None, high: int | None = None) -> int:
        low = self.spec.min_length if low is None else low
        high = self.spec.max_length if high is None else high
        return self.draw(st.integers(low, high), label)

    def sequence(self, length: int, label: str) -> torch.Tensor:
        return self.spec.items.draw(self._draw, length, label, self.dtype)

    # -- building and running ----------------------------------------------------------------
    def model(self):
        """The model under test, from the example's seed, on the device, in eval mode."""
        __tracebackhide__ = True
        if self._model is not None:
            return self._model
        self.seed = self.draw(st.integers(0, 2**16), "seed")
        what = f"{self.spec.name}'s factory (clause {self.clause_id})"
        limit = None  # bound before the try: the case's alarm may ring before `as limit` binds
        try:
            with time_limits.call_limit(what) as limit, torch.random.fork_rng(devices=[]):
                torch.manual_seed(self.seed)
                model = self.spec.factory()
        except time_limits.LayerTimeout as timeout:
            raise self._stopped(timeout, limit, what) from None
        except Exception as error:
            raise self.fail(f"{what} raised {type(error).__name__}: {error}") from error
        if not isinstance(model, torch.nn.Module):
            raise self.fail(f"{what} returned {type(model).__name__}, not a torch.nn.Module")
        self._model = model.to(device=self.device, dtype=self.dtype).eval()
        return self._model

    def results(self, sequences: list[torch.Tensor]) -> list[torch.Tensor]:
        """One result per sequence, from one call of ``run`` on this batch (seeded, so that a model
        that is random in eval mode fails the same way when hypothesis replays the example)."""
        __tracebackhide__ = True
        model = self.model()
        self.batches.append(sequences)
        call = len(self.batches)
        moved = [sequence.to(self.device) for sequence in sequences]
        lengths = [len(sequence) for sequence in sequences]
        what = f"{self.spec.name}'s run on a batch of {len(sequences)} (lengths {lengths}; call {call})"
        limit = None
        try:
            with (
                time_limits.call_limit(what) as limit,
                torch.random.fork_rng(devices=[]),
                torch.no_grad(),
            ):
                torch.manual_seed(self.seed + call)
                raw = self.spec.run(model, moved)
        except time_limits.LayerTimeout as timeout:
            raise self._stopped(timeout, limit, what) from None
        except Exception as error:
            raise self.fail(
                f"{what} raised {type(error).__name__}: {error}",
                hint="the model raised on a valid batch; the repro below makes the same call",
            ) from error
        try:
            results = per_sequence(raw, sequences, self.spec.result)
        except ResultError as error:
            raise self.fail(f"{what}: {error}") from error
        for index, result in enumerate(results):
            if result.is_floating_point() and not bool(torch.isfinite(result).all()):
                raise self.fail(f"{what} gave non-finite values (NaN or inf) for sequence {index}")
        return results

    def _stopped(self, timeout: time_limits.LayerTimeout, limit, what: str) -> BaseException:
        """A call over its limit stops the search (hypothesis would replay it, hanging each time);
        the case's own budget running out is the engine's to report."""
        if limit is None or timeout.limit is not limit:
            return timeout
        failure = self.fail(
            f"{what} did not return within {time_limits.seconds_text(limit.seconds)}; it was running "
            f"{timeout.where}",
            hint="stopped by the per-call time limit (--birnn-timeout); the example was not retried "
            "or shrunk. A loop that never ends? The repro below makes the same calls",
        )
        return time_limits.SearchStopped(failure, self)

    # -- comparing ---------------------------------------------------------------------------
    def tolerance(self) -> Tolerance:
        """Exact for M3; else the dtype's, TF32's where float32 RNNs may run in TF32 on CUDA
        (alone and in a batch, cuDNN may pick different kernels)."""
        if self.clause_id == "M3":
            return EXACT
        return tolerance_for(self.dtype, tf32=device_support.tf32_enabled(str(self.device)))

    def locate(self, index: tuple[int, ...]) -> str:
        if self.spec.result == "per_step" and len(index) >= 2:
            return f"step {index[0]}, feature {', '.join(map(str, index[1:]))}"
        if self.spec.result in ("summary", "logits") and len(index) == 1:
            return f"{'logit' if self.spec.result == 'logits' else 'feature'} {index[0]}"
        return locate_flat(index)

    def assert_same(
        self,
        actual: torch.Tensor,
        expected: torch.Tensor,
        *,
        what: str,
        hint: str,
        at: tuple[tuple[int, int], tuple[int, int]],
    ) -> None:
        """``at`` says which (call, batch position) each result came from, for the repro."""
        __tracebackhide__ = True
        self.compared = tuple(f"results[{call - 1}][{position}]" for call, position in at)
        assert_close(
            actual,
            expected,
            clause_id=self.clause_id,
            what=f"the {self.spec.result.replace('_', '-')} result of {what}",
            tolerance=self.tolerance(),
            locate=self.locate,
            hint=hint,
        )

    def fail(self, detail: str, *, hint: str | None = None) -> ConformanceFailure:
        return ConformanceFailure(self.clause_id, detail, hint=hint)
