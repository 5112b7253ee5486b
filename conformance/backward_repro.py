"""The repro snippet of a failure raised while differentiating the layer: what the check's backward
pass was, and the examples the check ran before it in the same process.

A backward pass can fail only after earlier calls: TorchScript's profiling executor specialises
a graph on the first calls it sees, across instances of the same scripted classes, and its
autodiff may then raise on another size. The failing example alone, run in a fresh process, then
passes. So the snippet replays the case's earlier examples first (each built, drawn and
differentiated as the check did), then the failing one, and says which of them it needs.
"""

from __future__ import annotations

from conformance.repro import _construction, _find_spec, _origin_object, snippet
from conformance.spec import LayerSpec
from conformance.trial import INPUT_HIGH, INPUT_LOW, Trial

# Earlier examples written out at most: the first ones, which set what an executor specialises on.
MAX_EARLIER = 30

# How each clause that differentiates the layer does it (the others make forward calls only,
# which the snippet does not replay): C12 runs gradcheck, the others take gradients of one loss.
BACKWARD_PASSES = {
    "C6": "gradients",
    "C11": "gradients",
    "C12": "gradcheck",
    "C14": "gradients",
    "C15": "gradients",
}

GRADCHECK = '''
def gradcheck(layer, x, state):
    """What C12 does: gradcheck (fast mode) of the output and final states, with respect to x and
    the initial states (C12 also perturbs every parameter, through torch.func.functional_call)."""
    state = () if state is None else state if isinstance(state, tuple) else (state,)
    inputs = [t.detach().requires_grad_() for t in (x, *state)]

    def function(x, *state):
        given = None if not state else state[0] if len(state) == 1 else tuple(state)
        output, final = {call}
        return (output, *(final if isinstance(final, tuple) else (final,)))

    torch.autograd.gradcheck(function, inputs, fast_mode=True)
'''

GRADIENTS = '''
def gradients(layer, x, state):
    """What C6, C11, C14 and C15 do: gradients of one loss over the output and final states,
    with respect to x, the initial states and every parameter."""
    state = () if state is None else state if isinstance(state, tuple) else (state,)
    inputs = [t.detach().requires_grad_() for t in (x, *state)]
    given = None if not state else inputs[1] if len(state) == 1 else tuple(inputs[1:])
    output, final = {call}
    loss = output.sum() + sum(s.sum() for s in (final if isinstance(final, tuple) else (final,)))
    parameters = [p for p in layer.parameters() if p.requires_grad]
    torch.autograd.grad(loss, inputs + parameters, allow_unused=True)
'''

REPLAY = f'''
def replay(seed, build, dtype, tensors, backward):
    """One earlier example: its layer from its seed, its drawn tensors, its backward pass."""
    torch.manual_seed(seed)
    layer = build().to(device={{device!r}}, dtype=dtype)
    drawn = []
    for index, shape in tensors:
        generator = torch.Generator().manual_seed(seed + 1 + index)
        values = torch.rand(shape, generator=generator, dtype=torch.float64)
        drawn.append((values * {INPUT_HIGH - INPUT_LOW} + {INPUT_LOW}).to({{device!r}}, dtype))
    x, *state = drawn
    try:
        backward(layer, x, state[0] if len(state) == 1 else tuple(state) or None)
    except Exception as error:  # the check went on after a failing example; so does this
        print(f"an earlier example raised too: {{{{type(error).__name__}}}}")
'''


def backward_snippet(trial: Trial, earlier: list[Trial]) -> str | None:
    """The failing example's snippet followed by the check's backward pass on it, with the
    distinct earlier examples that differentiated the same layer replayed first."""
    base = snippet(trial)
    construction = _construction(trial.spec, trial)
    if base is None or construction is None:
        return None
    call = construction[2]
    invoke = f"{call}(layer, x, given)" if call else "layer(x, given)"
    if not call and not trial.spec.features.returns_state:
        invoke = "layer(x, given), None"
    # The same clause's earlier examples: the same kind of backward pass at other sizes, what an
    # executor that specialises on sizes needs. Other clauses' calls are not written out (their
    # forward calls count too, and each clause makes them its own way): see _other_clauses.
    previous = [t for t in _distinct_earlier(trial, earlier) if t.clause_id == trial.clause_id]
    used = {BACKWARD_PASSES[t.clause_id] for t in previous}
    used.add(BACKWARD_PASSES.get(trial.clause_id, "gradients"))
    definitions = []
    for name, template in (("gradcheck", GRADCHECK), ("gradients", GRADIENTS)):
        if name in used:
            definitions += template.format(call=invoke).splitlines()
    lines = base.splitlines()
    split = lines.index("")  # after the imports
    head, body = lines[:split], lines[split:]
    replays = _replay_lines(previous, trial)
    state = _state_expression(trial)
    return "\n".join(
        [
            *head,
            *definitions,
            *replays,
            *body,
            "",
            "# the check then differentiated the result, and autograd raised:",
            f"{BACKWARD_PASSES.get(trial.clause_id, 'gradients')}(layer, x, {state})",
            *_other_clauses(trial),
        ]
    )


def _other_clauses(trial: Trial) -> list[str]:
    """What replays the whole sequence when the clauses run before this one set the state."""
    before = [clause for clause in trial.clauses_before if clause != trial.clause_id]
    if not before:
        return []
    named = _origin_object(trial.spec)
    origin = trial.spec.origin if isinstance(named, LayerSpec) else _find_spec(trial.spec)
    if origin:
        spec = origin.partition(":")[2]
    else:  # a class check_layer builds its spec from, as the snippet imports it; else a stand-in
        spec = getattr(named, "__name__", None) if isinstance(named, type) else "SPEC"
    clauses = [*before, trial.clause_id]
    profile = f", profile={trial.profile_name!r}" if trial.profile_name else ""
    return [
        "",
        f"# If this runs clean, the failure also needs the calls that {', '.join(before)} made to",
        "# this layer before it in the check's process (forward calls included), which this",
        "# snippet does not replay. This does, in a fresh process, as the check ran them:",
        "#   from conformance import check_layer",
        f"#   print(check_layer({spec}, devices=[{str(trial.device)!r}], clauses={clauses}{profile}))",
    ]


def _distinct_earlier(trial: Trial, earlier: list[Trial]) -> list[Trial]:
    seen = {_key(trial)}
    distinct = []
    for other in earlier:
        key = _key(other)
        if other.example is None or other.input_shape is None or key in seen:
            continue
        if other.clause_id not in BACKWARD_PASSES or other.spec.name != trial.spec.name:
            continue
        seen.add(key)
        distinct.append(other)
    return distinct


def _key(trial: Trial) -> tuple:
    return (
        trial.clause_id,
        trial.example,
        trial.input_shape,
        trial.input_index,
        trial.state_indices,
        trial.state_shapes,
        str(trial.dtype),
    )


def _replay_lines(previous: list[Trial], trial: Trial) -> list[str]:
    if not previous:
        return ["", f"# no earlier example of {trial.clause_id} ran in the check's process"]
    shown = previous[:MAX_EARLIER]
    more = f" (the first {len(shown)} of {len(previous)})" if len(previous) > len(shown) else ""
    lines = [
        *REPLAY.format(device=str(trial.device)).splitlines(),
        "",
        f"# {trial.clause_id} ran {len(previous)} other example(s) before this one{more}. A",
        "# backward pass can depend on them (TorchScript's executor specialises on earlier calls,",
        "# across instances), so they run first: without them the failure may not show.",
    ]
    for other in shown:
        construction = _construction(other.spec, other)
        if construction is None or other.input_index is None or other.example is None:
            continue
        build = construction[1].removeprefix("layer = ")
        tensors = [(other.input_index, other.input_shape)]
        tensors += list(zip(other.state_indices or (), other.state_shapes or ()))
        dtype = f"torch.{str(other.dtype).removeprefix('torch.')}"
        backward = BACKWARD_PASSES[other.clause_id]
        lines.append(
            f"replay({other.example.seed}, lambda: {build}, {dtype}, {tensors}, {backward})"
        )
    return lines


def _state_expression(trial: Trial) -> str:
    if trial.state_indices is None:
        return "None"
    return "(h0, c0)" if len(trial.state_indices) == 2 else "h0"
