"""birnn-conformance: check that a bidirectional RNN layer behaves as one must.

The public API is imported lazily so that loading the pytest plugin (which imports this package)
costs nothing and needs no torch in pytest sessions that do not use it.
"""

from __future__ import annotations

__version__ = "0.1.0"

_PUBLIC = {
    "LayerSpec": "conformance.spec",
    "LayerConfig": "conformance.spec",
    "Features": "conformance.spec",
    "CLAUSES": "conformance.clauses",
    "parametrize_with_checks": "conformance.decorator",
    "check_layer": "conformance.report",
    "ConformanceFailure": "conformance.failures",
    "ModelSpec": "conformance.models.spec",
    "token_ids": "conformance.models.items",
    "feature_vectors": "conformance.models.items",
    "padded_batch": "conformance.models.batching",
    "check_model": "conformance.models.report",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        import importlib

        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'conformance' has no attribute {name!r}")
