"""Dicts of keywords unpacked into a constructor with ``**`` bind its parameters by their keys
(``keyword_dicts``, ``keyword_dicts_resolution``), wherever the project builds the dict."""

from __future__ import annotations

import textwrap

from lint_rules.project_index import summarise
from lint_rules.project_index_resolution import build_index

MODEL = """
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, size, bidirect=False):
        super().__init__()
        self.rnn = nn.GRU(size, size, bidirectional=bidirect)


def build(param):
    return Encoder(40, **param)
"""


def bound(train: str) -> list:
    modules = {"model.py": MODEL, "train.py": textwrap.dedent(train)}
    index = build_index(summarise(path, text) for path, text in modules.items())
    return index.binding("model.py", "Encoder", "bidirect")


def test_a_returned_dict_binds_its_literal_keys():
    train = """
    from model import Encoder


    def settings(flag):
        if flag == 0:
            return {"bidirect": True, "size": 40}
        return {"heads": 8}


    params = settings(0)
    model = Encoder(**params)
    """
    assert bound(train) == [(True, "train.py:7")]


def test_a_dict_passed_through_a_factory_parameter_binds_its_keys():
    train = """
    from model import build


    def settings():
        return dict(bidirect=True)


    model = build(param=settings())
    """
    assert bound(train) == [(True, "train.py:6")]


def test_a_local_dict_literal_binds_its_keys():
    train = """
    from model import Encoder

    params = {"bidirect": True}
    model = Encoder(**params)
    """
    assert bound(train) == [(True, "train.py:5")]  # the call that unpacks it


def test_returned_dicts_that_disagree_on_a_key_bind_nothing():
    train = """
    from model import Encoder


    def settings(flag):
        if flag:
            return {"bidirect": True}
        return {"bidirect": False}


    model = Encoder(**settings(1))
    """
    assert bound(train) == []


def test_a_name_bound_to_two_dicts_binds_nothing():
    train = """
    from model import Encoder

    params = {"bidirect": True}
    params = {"bidirect": False}
    model = Encoder(**params)
    """
    assert bound(train) == []
