"""The rules, one module each; ``ALL_RULES`` is their table, ordered by code."""

from __future__ import annotations

from lint_rules.rules import (
    brn001_hidden_init,
    brn002_output_size,
    brn003_last_layer_state,
    brn004_last_step_output,
    brn005_padded_without_packing,
    brn006_direction_split,
    brn007_streaming,
    brn008_non_contiguous_state,
)
from lint_rules.rules.base import Rule

ALL_RULES: tuple[Rule, ...] = tuple(
    sorted(
        (
            module.RULE
            for module in (
                brn001_hidden_init,
                brn002_output_size,
                brn003_last_layer_state,
                brn004_last_step_output,
                brn005_padded_without_packing,
                brn006_direction_split,
                brn007_streaming,
                brn008_non_contiguous_state,
            )
        ),
        key=lambda rule: rule.code,
    )
)

__all__ = ["ALL_RULES", "Rule"]
