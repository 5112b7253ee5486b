"""Which devices exist here, and why one is skipped when it does not."""

from __future__ import annotations

import torch

DEFAULT_DEVICES = ("cpu", "cuda")


def skip_reason(device: str) -> str | None:
    """None when ``device`` can run here, else a sentence that says why not."""
    try:
        parsed = torch.device(device)
    except (RuntimeError, ValueError) as error:
        return f"{device!r} is not a torch device string: {error}"
    if parsed.type == "cpu":
        return None
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            return "CUDA is not available on this machine (torch.cuda.is_available() is False)"
        if parsed.index is not None and parsed.index >= torch.cuda.device_count():
            return f"{device} does not exist: this machine has {torch.cuda.device_count()} CUDA device(s)"
        return None
    backend = getattr(torch, parsed.type, None)
    is_available = getattr(backend, "is_available", None)
    if callable(is_available) and not is_available():
        return (
            f"{parsed.type.upper()} is not available on this machine "
            f"(torch.{parsed.type}.is_available() is False)"
        )
    try:
        torch.empty(1, device=parsed)
    except Exception as error:  # any backend may refuse in its own way, often in many lines
        return f"device {device!r} is not usable here: {type(error).__name__}: {first_line(str(error))}"
    return None


def first_line(text: str, limit: int = 160) -> str:
    """The first line of an error (torch's dispatcher errors run to 50 lines), at most ``limit``."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def tf32_enabled(device: str) -> bool:
    """Whether float32 RNNs on this device may run in TF32 (cuDNN's default in torch >= 2.9)."""
    if torch.device(device).type != "cuda":
        return False
    rnn = getattr(getattr(torch.backends.cudnn, "rnn", None), "fp32_precision", None)
    if rnn is not None:
        return rnn == "tf32" and torch.backends.cudnn.enabled
    return bool(getattr(torch.backends.cudnn, "allow_tf32", False))


def describe() -> list[str]:
    """Lines for the pytest header: torch, CUDA/cuDNN and TF32 where present."""
    lines = [f"torch {torch.__version__}"]
    if torch.cuda.is_available():
        lines.append(
            f"CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, "
            f"{torch.cuda.device_count()} device(s): {torch.cuda.get_device_name(0)}; "
            f"float32 RNN precision: {'tf32' if tf32_enabled('cuda') else 'ieee'}"
        )
    else:
        lines.append("CUDA not available")
    return lines
