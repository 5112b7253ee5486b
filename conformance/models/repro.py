"""A copy-paste snippet that replays a failing model example without the plugin: the model from
the example's seed, in eval mode, and every batch the check ran, seeded as the check seeded it."""

from __future__ import annotations

from conformance.models.trial import ModelTrial


def _tensor_literal(tensor) -> str:
    dtype = str(tensor.dtype).removeprefix("torch.")
    return f"torch.tensor({tensor.tolist()!r}, dtype=torch.{dtype})"


def snippet(trial: ModelTrial) -> str | None:
    if trial.seed is None or not trial.batches:
        return None
    spec = trial.spec
    if spec.origin:
        module, _, attribute = spec.origin.partition(":")
        lines = ["import torch", f"from {module} import {attribute.split('.')[0]}", ""]
        name = attribute
    else:
        lines = ["import torch", f"# spec = the ModelSpec named {spec.name!r}", ""]
        name = "spec"
    device = str(trial.device)
    lines += [
        f"torch.manual_seed({trial.seed})",
        f"model = {name}.factory().to(device={device!r}, dtype=torch.{spec.dtype}).eval()",
        "batches = [",
    ]
    for batch in trial.batches:
        lines.append("    [" + ", ".join(_tensor_literal(sequence) for sequence in batch) + "],")
    lines += [
        "]",
        "results = []",
        "with torch.no_grad():",
        "    for call, batch in enumerate(batches, 1):",
        f"        torch.manual_seed({trial.seed} + call)",
        f"        results.append({name}.run(model, [sequence.to({device!r}) for sequence in batch]))",
    ]
    if trial.compared:
        lines.append(
            f"print({trial.compared[0]}, {trial.compared[1]}, sep='\\n')  # should be equal"
        )
    return "\n".join(lines)
