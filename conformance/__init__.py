"""birnn-conformance: check that a bidirectional RNN layer behaves as one must.

The public API is imported lazily so that loading the pytest plugin (which imports this package)
costs nothing and needs no torch in pytest sessions that do not use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers see (py.typed); at run time, the lazy imports below
    from conformance.clauses import CLAUSES as CLAUSES
    from conformance.decorator import parametrize_with_checks as parametrize_with_checks
    from conformance.failures import ConformanceFailure as ConformanceFailure
    from conformance.models.batching import padded_batch as padded_batch
    from conformance.models.items import feature_vectors as feature_vectors
    from conformance.models.items import token_ids as token_ids
    from conformance.models.report import check_model as check_model
    from conformance.models.spec import ModelSpec as ModelSpec
    from conformance.parameter_views import ParameterView as ParameterView
    from conformance.report import check_layer as check_layer
    from conformance.spec import Features as Features
    from conformance.spec import LayerConfig as LayerConfig
    from conformance.spec import LayerSpec as LayerSpec

__version__ = "0.1.0"

_PUBLIC = {
    "LayerSpec": "conformance.spec",
    "LayerConfig": "conformance.spec",
    "Features": "conformance.spec",
    "ParameterView": "conformance.parameter_views",
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


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        import importlib

        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'conformance' has no attribute {name!r}")
