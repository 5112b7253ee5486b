"""Which tokenizer calls pad only for a transformer whose one-vector summary is read."""

from __future__ import annotations

import ast

import pytest

from lint_rules.tokenizer_padding import summarised_tokenizer_calls

SUMMARISED = {
    "cls vector": """
tokens = tokenizer(text, return_tensors="pt", padding=True)
outputs = model(**tokens)
vector = outputs.last_hidden_state[:, 0, :].numpy()
""",
    "dict comprehension copy": """
inputs = tokenizer(text, padding=True, return_tensors="pt")
moved = {k: v.to(device) for k, v in inputs.items()}
outputs = encoder(**moved)
return outputs.pooler_output
""",
    "to(device) and mean": """
batch = tokenizer(texts, padding=True, return_tensors="pt").to(device)
out = bert(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
return out.last_hidden_state.mean(dim=1)
""",
}

KEPT = {
    "input ids returned": """
tokens = tokenizer(texts, padding=True, return_tensors="pt")
return tokens["input_ids"]
""",
    "whole sequence output": """
tokens = tokenizer(texts, padding=True, return_tensors="pt")
outputs = bert(**tokens)
return outputs.last_hidden_state
""",
    "tuple positions": """
tokens = tokenizer(texts, padding=True, return_tensors="pt")
out = model(tokens["input_ids"])
return out[1]
""",
    "rebound, so not followed": """
tokens = tokenizer(texts, padding="max_length", return_tensors="pt")
tokens = {k: v.to(device) for k, v in tokens.items()}
return bert(**tokens).pooler_output
""",
    "tokens stored": """
tokens = tokenizer(texts, padding=True, return_tensors="pt")
outputs = bert(**tokens)
self.cache = tokens
return outputs.pooler_output
""",
}


def summarised(source: str) -> int:
    function = ast.parse("def f():\n" + "\n".join("    " + line for line in source.splitlines()))
    nodes = [node for statement in function.body[0].body for node in ast.walk(statement)]
    return len(summarised_tokenizer_calls(nodes))


@pytest.mark.parametrize("name", sorted(SUMMARISED))
def test_padding_read_as_one_vector_per_text_is_not_rnn_padding(name: str) -> None:
    assert summarised(SUMMARISED[name]) == 1


@pytest.mark.parametrize("name", sorted(KEPT))
def test_padding_that_may_reach_a_sequence_model_is_kept(name: str) -> None:
    assert summarised(KEPT[name]) == 0
