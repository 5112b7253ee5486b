"""The statement walk that rules use instead of a visitor over every node."""

import libcst as cst

from lint_rules.statements import statements

SOURCE = """
def f(self, x):
    for a in b:
        if c:
            while d:
                out, h = self.step(x, h)
        elif e:
            for z in y: pass
        else:
            try:
                for q in r: pass
            except E:
                while 1: break
            finally:
                for k in l: pass
    match x:
        case 1:
            for m in n: pass
    def inner():
        for hidden in nested: pass
    class Inner:
        for hidden in nested: pass
    with ctx:
        while w: y = 2
"""


def test_every_statement_in_source_order_and_no_nested_definition():
    module = cst.parse_module(SOURCE)
    function = module.body[0]
    loops = [
        module.code_for_node(node).split("\n")[0]
        for node in statements(function.body)
        if isinstance(node, (cst.For, cst.While))
    ]
    assert loops == [
        "for a in b:",
        "while d:",
        "for z in y: pass",
        "for q in r: pass",
        "while 1: break",
        "for k in l: pass",
        "for m in n: pass",
        "while w: y = 2",
    ]


def test_small_statements_are_yielded_from_lines_and_one_line_suites():
    module = cst.parse_module(SOURCE)
    assigned = [
        module.code_for_node(node)
        for node in statements(module.body[0].body)
        if isinstance(node, cst.Assign)
    ]
    assert assigned == ["out, h = self.step(x, h)", "y = 2"]
