"""A copy-paste snippet that reproduces a failing example without the plugin."""

from __future__ import annotations

from conformance.trial import INPUT_HIGH, INPUT_LOW, Trial


def _import_line(origin: str) -> tuple[str, str]:
    module, _, attribute = origin.partition(":")
    if module.startswith("torch.nn.modules"):
        module = "torch.nn"
    head = attribute.split(".")[0]
    return f"from {module} import {head}", attribute


def snippet(trial: Trial) -> str | None:
    """The layer's construction from the example's seed, the first input and the call."""
    example, spec = trial.example, trial.spec
    if example is None or trial.input_shape is None or not spec.origin:
        return None
    import_line, attribute = _import_line(spec.origin)
    dtype = f"torch.{str(trial.dtype).removeprefix('torch.')}"
    lines = ["import torch", import_line, "", f"torch.manual_seed({example.seed})"]
    if spec.layer_class is not None:
        arguments = {**example.config.torch_kwargs(), **spec.constructor_kwargs}
        rendered = ", ".join(f"{key}={value!r}" for key, value in arguments.items())
        lines.append(f"layer = {attribute}({rendered})")
    else:
        lines[0:0] = ["from conformance.spec import LayerConfig"]
        lines.append(f"layer = {attribute}.factory({example.config!r})")
    lines += [
        f"layer = layer.to(device={str(trial.device)!r}, dtype={dtype})",
        f"generator = torch.Generator().manual_seed({example.seed + 1})",
        f"x = torch.rand({trial.input_shape}, generator=generator, dtype=torch.float64)",
        f"x = (x * {INPUT_HIGH - INPUT_LOW} + {INPUT_LOW}).to(device={str(trial.device)!r}, dtype={dtype})",
        "output, state = layer(x)" + ("  # this check also passed an initial state" if trial.with_state else ""),
    ]
    return "\n".join(lines)
