"""A --birnn-layer that cannot load says what to install, not just what failed."""

from __future__ import annotations

import sys

import pytest

from conformance.loader import LayerLoadError, load_layer


def test_a_missing_torch_names_the_extra_to_install(tmp_path, monkeypatch) -> None:
    (tmp_path / "layer_without_torch.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "layer_without_torch", raising=False)
    with pytest.raises(LayerLoadError) as error:
        load_layer("layer_without_torch:MyGRU")
    assert "torch is not installed" in str(error.value)
    assert "pip install 'birnn-conformance[conformance]'" in str(error.value)
