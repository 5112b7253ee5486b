"""Evaluating expressions to facts: names, attributes, subscripts, arithmetic, tuples.

Calls are in ``calls.py``; statements and the module/class/function driver in ``analysis.py``.
Every expression the evaluator does not understand still has its children evaluated, so an RNN
call nested anywhere is seen.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import libcst as cst

from lint_rules import class_selection, guards
from lint_rules.direction_halves import combined_halves, half_of_output
from lint_rules.events import Index
from lint_rules.last_real_steps import (
    LastRealSteps,
    LastStep,
    Permutation,
    last_real_steps,
    one_sequence,
)
from lint_rules.scopes import MISSING, Frame
from lint_rules.stacked_layers import residual_sum
from lint_rules.values import (
    OPAQUE,
    ClassRef,
    Container,
    FunctionRef,
    KeywordsValue,
    Padded,
    RnnClassRef,
    RnnModule,
    RnnResult,
    SelfRef,
    StateTuple,
    Sym,
    TensorFact,
    TupleValue,
    int_sym,
)

_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
_SKIPPED_FIELD_PREFIXES = (
    "whitespace", "lpar", "rpar", "comma", "semicolon", "leading_lines", "trailing", "header",
    "footer", "lines_after", "newline", "equal", "colon", "dot", "star", "operator", "asynchronous",
    "lbracket", "rbracket", "lbrace", "rbrace", "first_", "quote", "prefix", "string",
)

_ARITHMETIC = {
    cst.Multiply: "*", cst.Add: "+", cst.Subtract: "-", cst.FloorDivide: "//", cst.Divide: "/",
    cst.Modulo: "%", cst.Power: "**",
}
_COMMUTATIVE = {"*", "+"}


def child_fields(node_type: type) -> tuple[str, ...]:
    fields = _CHILD_FIELDS.get(node_type)
    if fields is None:
        fields = tuple(
            field.name
            for field in dataclasses.fields(node_type)
            if not field.name.startswith(_SKIPPED_FIELD_PREFIXES)
        )
        _CHILD_FIELDS[node_type] = fields
    return fields


def parse_int(node: cst.Integer) -> int | None:
    try:
        return int(node.value.replace("_", ""), 0)
    except ValueError:
        return None


def fold(operator: str, left: Sym, right: Sym) -> Sym:
    a, b = left.int_value, right.int_value
    if a is not None and b is not None:
        try:
            value = {
                "*": lambda: a * b, "+": lambda: a + b, "-": lambda: a - b,
                "//": lambda: a // b, "%": lambda: a % b, "**": lambda: a**b if b < 64 else None,
            }.get(operator, lambda: None)()
        except ZeroDivisionError:
            value = None
        if isinstance(value, int):
            return int_sym(value)
    if _depth(left.key) + _depth(right.key) > _MAX_SIZE_DEPTH:
        return Sym(OPAQUE)  # no rule compares sizes this elaborate; keep keys small
    keys = (left.key, right.key)
    if operator in _COMMUTATIVE:
        keys = tuple(sorted(keys, key=repr))
    return Sym(("bin", operator, *keys))


_MAX_SIZE_DEPTH = 6


def _depth(key: tuple, limit: int = _MAX_SIZE_DEPTH + 1) -> int:
    if key[0] != "bin" or limit == 0:
        return 0
    return 1 + max(_depth(key[2], limit - 1), _depth(key[3], limit - 1))


def _single_element(iterable: Any) -> Any:
    """The item of a list that holds one kind of thing (one entry, or the same one repeated)."""
    if not isinstance(iterable, (TupleValue, Container)) or not iterable.items:
        return None
    first = iterable.items[0]
    return first if all(item is first for item in iterable.items) else None


def _comprehension_bindings(target: cst.BaseExpression, element: Any) -> dict[str, Any]:
    """The loop names of a comprehension bound to its element: ``x`` to the element, ``(i, l)``
    of ``enumerate(lengths)`` to the counter (unknown) and the element."""
    if isinstance(target, cst.Name):
        return {target.value: element}
    if not isinstance(target, (cst.Tuple, cst.List)) or not isinstance(element, TupleValue):
        return {}
    names = [item.value for item in target.elements]
    if len(names) != len(element.items) or not all(isinstance(name, cst.Name) for name in names):
        return {}
    return {name.value: item for name, item in zip(names, element.items)}


def describe_index(element: cst.SubscriptElement, value: Any) -> tuple:
    """One index of a subscript as the rules see it."""
    index = element.slice
    if isinstance(index, cst.Index):
        if isinstance(index.value, cst.Ellipsis):
            return ("ellipsis",)
        if isinstance(index.value, cst.Name) and index.value.value == "None":
            return ("newaxis",)
        if isinstance(value, LastStep):
            return ("int", -1)
        if isinstance(value, LastRealSteps):
            return ("last_real",)
        if isinstance(value, Permutation):
            return ("permutation",)
        if isinstance(value, Sym) and value.int_value is not None:
            return ("int", value.int_value)
        return ("other",)
    if index.lower is None and index.upper is None and index.step is None:
        return ("full",)
    lower, upper, _step = value
    return ("slice", lower if isinstance(lower, Sym) else None, upper if isinstance(upper, Sym) else None)


class ExpressionEvaluator:
    """Mixin of the interpreter: ``evaluate(node, frame)`` returns a fact or None."""

    def evaluate(self, node: Any, frame: Frame) -> Any:
        handler = self._handlers.get(type(node))
        if handler is None:
            self.visit_children(node, frame)
            return None
        return handler(self, node, frame)

    def visit_children(self, node: Any, frame: Frame) -> None:
        for name in child_fields(type(node)):
            child = getattr(node, name)
            if isinstance(child, cst.CSTNode):
                self._visit_any(child, frame)
            elif isinstance(child, (tuple, list)):
                for item in child:
                    if isinstance(item, cst.CSTNode):
                        self._visit_any(item, frame)

    def _visit_any(self, node: Any, frame: Frame) -> None:
        if isinstance(node, cst.BaseExpression):
            self.evaluate(node, frame)
        elif isinstance(node, (cst.BaseStatement, cst.BaseSmallStatement)):
            self.run_statement(node, frame)
        else:
            self.visit_children(node, frame)

    # -- names -----------------------------------------------------------------------------

    def _name(self, node: cst.Name, frame: Frame) -> Any:
        name = node.value
        if name == "True" or name == "False":
            return Sym(("bool", name == "True"), name == "True", node)
        if name == "None":
            return None
        if name == frame.self_name:
            return SelfRef()
        value = frame.lookup(name)
        if value is MISSING:
            qualified = self.imports.resolve(node)
            if qualified is not None:
                return self.qualified_value(qualified)
            return Sym(("name", name), None, node)
        return self._renode(value, node, frame)

    @staticmethod
    def _renode(value: Any, node: Any, frame: Frame) -> Any:
        if isinstance(value, Sym) and not frame.keep_nodes:
            if type(value) is not Sym:
                return dataclasses.replace(value, node=node)  # keeps what a subclass knows
            return Sym(value.key, value.truth, node, value.origin)
        return value

    def _attribute(self, node: cst.Attribute, frame: Frame) -> Any:
        attribute = node.attr.value
        base_node = node.value
        root = base_node
        while isinstance(root, cst.Attribute):
            root = root.value
        if isinstance(root, cst.Name) and frame.lookup(root.value) is MISSING:
            qualified = self.imports.resolve(node)
            if qualified is not None:
                return self.qualified_value(qualified)
        base = self.evaluate(base_node, frame)
        if isinstance(base, SelfRef):
            return self._renode(self.self_attribute(attribute, frame), node, frame)
        if isinstance(base, Sym):
            if base.key[0] == "name":
                return self.config_read(f"{base.key[1]}.{attribute}", attribute, node)
            return None
        if base is None and isinstance(base_node, cst.Name):
            # a local set from what the analysis does not follow (`config = read_yaml(path)`):
            # read as a config when the project gives the key a default, as `config["key"]` is
            read = self.config_read(f"{base_node.value}.{attribute}", attribute, node)
            return read if read.truth is not None else None
        if isinstance(base, RnnModule):
            return self._rnn_attribute(base, attribute, node)
        if isinstance(base, ClassRef):
            context = self.classes.get(id(base.node))
            if context is not None and attribute in context.constants:
                return self._renode(context.constants[attribute], node, frame)
            return None
        if isinstance(base, TupleValue) and attribute == "values" and base.items:
            return base.items[0]
        if isinstance(base, TensorFact) and attribute == "data":
            return base
        if isinstance(base, Padded) and attribute == "data":
            return base
        return None

    @staticmethod
    def _rnn_attribute(module: RnnModule, attribute: str, node: Any) -> Any:
        rnn = module.rnn
        if attribute == "bidirectional":
            return Sym(("name", "bidirectional"), rnn.bidirectional, node)
        if attribute in ("hidden_size", "num_layers", "input_size", "proj_size"):
            size = getattr(rnn, attribute)
            return Sym(size.key, size.truth, node) if size is not None else None
        if attribute == "batch_first":
            return Sym(("name", "batch_first"), rnn.batch_first, node)
        return None

    def config_read(self, name: str, key: str, node: Any) -> Sym:
        """``args.bidirectional``, ``config["bidirectional"]``: a named value, with the truth a
        config default elsewhere in the project gives it (the project index)."""
        found = self.facts.config_value(key.replace("-", "_"))
        if found is None:
            return Sym(("name", name), None, node)
        value, origin = found
        return Sym(("name", name), value, node, f"{key}={value} from {origin}")

    def self_attribute(self, attribute: str, frame: Frame) -> Any:
        value = frame.lookup("self." + attribute)
        if value is not MISSING:
            return value
        if frame.owner is not None:
            value = self.class_attribute(frame.owner, attribute, frame)
            if value is not MISSING:
                return value
        return Sym(("name", attribute))

    # -- literals and arithmetic ---------------------------------------------------------------

    def _integer(self, node: cst.Integer, frame: Frame) -> Any:
        value = parse_int(node)
        return int_sym(value, node) if value is not None else Sym(OPAQUE, None, node)

    def _float(self, node: Any, frame: Frame) -> Any:
        return Sym(OPAQUE, None, node)

    def _string(self, node: Any, frame: Frame) -> Any:
        self.visit_children(node, frame)
        return Sym(("str", node.evaluated_value if isinstance(node, cst.SimpleString) else None))

    def _tuple(self, node: cst.Tuple | cst.List, frame: Frame) -> Any:
        items = []
        for element in node.elements:
            value = self.evaluate(element.value, frame)
            items.append(None if isinstance(element, cst.StarredElement) else value)
        return TupleValue(tuple(items))

    def _dict(self, node: cst.Dict, frame: Frame) -> Any:
        """A dict literal with string keys: the keywords it gives a call it is unpacked into
        (``nn.GRU(**self.cell_dict)``), or the entries a subscript chooses among
        (``{"lstm": nn.LSTM, "gru": nn.GRU}[cell]``, ``class_selection``)."""
        items = []
        known = True
        for element in node.elements:
            if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
                key = element.key.evaluated_value
                value = self.evaluate(element.value, frame)
                if isinstance(key, str):
                    items.append((key, value))
                    continue
            known = False
            self._visit_any(element, frame)
        return KeywordsValue(tuple(items), open=True) if known else None

    def _comprehension(self, node: cst.ListComp | cst.GeneratorExp, frame: Frame) -> Any:
        """``[conv(x) for conv in self.convs]`` over a list of one kind of thing (a list built by
        a comprehension): the loop variable is that thing, inside the comprehension only."""
        for_in = node.for_in
        iterable = self.evaluate(for_in.iter, frame)
        element = _single_element(iterable) or one_sequence(iterable)
        saved = frame.env
        if element is not None:
            frame.env = {**saved, **_comprehension_bindings(for_in.target, element)}
        for condition in for_in.ifs:
            self._visit_any(condition, frame)
        if for_in.inner_for_in is not None:
            self._visit_any(for_in.inner_for_in, frame)
        value = self.evaluate(node.elt, frame)
        frame.env = saved
        return TupleValue((value,))

    def _binary(self, node: cst.BinaryOperation, frame: Frame) -> Any:
        # Long sums (`a + b + c + ...`, generated code) nest to the left: walk them in a loop.
        chain = [node]
        while isinstance(chain[-1].left, cst.BinaryOperation):
            chain.append(chain[-1].left)
        value = self.evaluate(chain[-1].left, frame)
        for link in reversed(chain):
            left = value
            value = self._combine(link, left, self.evaluate(link.right, frame))
            if isinstance(link.operator, cst.Subtract):
                value = last_real_steps(link, value, left)
        return value

    @staticmethod
    def _combine(node: cst.BinaryOperation, left: Any, right: Any) -> Any:
        operator = _ARITHMETIC.get(type(node.operator))
        if isinstance(left, Sym) and isinstance(right, Sym):
            if operator is None:
                return Sym(OPAQUE, None, node)
            folded = fold(operator, left, right)
            return Sym(folded.key, folded.truth, node)
        if operator == "+":
            combined = combined_halves(left, right) or residual_sum(left, right)
            if combined is not None:
                return combined
        if operator in ("*", "+", "-", "/"):
            # Broadcasting with a weight or mask keeps the tensor's meaning.
            for side, other in ((left, right), (right, left)):
                if isinstance(side, (TensorFact, Padded)) and not isinstance(
                    other, (TensorFact, Padded)
                ):
                    return side
        return None

    def _unary(self, node: cst.UnaryOperation, frame: Frame) -> Any:
        value = self.evaluate(node.expression, frame)
        if isinstance(node.operator, cst.Not):
            truth = value.truth if isinstance(value, Sym) else None
            return Sym(OPAQUE, None if truth is None else not truth, node)
        if isinstance(node.operator, cst.Minus) and isinstance(value, Sym):
            number = value.int_value
            if number is not None:
                return int_sym(-number, node)
            return Sym(("neg", value.key), None, node)
        return None

    def _boolean(self, node: cst.BooleanOperation, frame: Frame) -> Any:
        left = self.evaluate(node.left, frame)
        right = self.evaluate(node.right, frame)
        a = left.truth if isinstance(left, Sym) else None
        b = right.truth if isinstance(right, Sym) else None
        if isinstance(node.operator, cst.And):
            truth = False if (a is False or b is False) else (True if a and b else None)
        else:
            truth = True if (a is True or b is True) else (False if a is False and b is False else None)
        return Sym(OPAQUE, truth, node)

    def _comparison(self, node: cst.Comparison, frame: Frame) -> Any:
        left = self.evaluate(node.left, frame)
        truth = None
        for target in node.comparisons:
            right = self.evaluate(target.comparator, frame)
            if len(node.comparisons) == 1 and isinstance(left, Sym) and isinstance(right, Sym):
                truth = _compare(type(target.operator), left, right)
        return Sym(OPAQUE, truth, node)

    def _if_expression(self, node: cst.IfExp, frame: Frame) -> Any:
        test = self.evaluate(node.test, frame)
        when_true, when_false = guards.polarity(node.test)
        saved = frame.guard
        frame.guard = when_true if when_true is not None else saved
        body = self.evaluate(node.body, frame)
        frame.guard = when_false if when_false is not None else saved
        orelse = self.evaluate(node.orelse, frame)
        frame.guard = saved
        truth = test.truth if isinstance(test, Sym) else None
        if truth is True:
            return body
        if truth is False:
            return orelse
        if isinstance(body, Sym) and isinstance(orelse, Sym) and body.key == orelse.key:
            return body
        if isinstance(body, RnnClassRef):
            return class_selection.one_of((body, orelse))
        if (
            isinstance(body, Sym)
            and isinstance(orelse, Sym)
            and {body.int_value, orelse.int_value} == {1, 2}
        ):
            return Sym(("directions",), True, node)
        return None

    def _named_expression(self, node: cst.NamedExpr, frame: Frame) -> Any:
        value = self.evaluate(node.value, frame)
        self.assign(node.target, value, frame)
        return value

    def _await(self, node: cst.Await, frame: Frame) -> Any:
        return self.evaluate(node.expression, frame)

    def _lambda(self, node: cst.Lambda, frame: Frame) -> Any:
        return None  # its body runs elsewhere, with arguments we do not know

    # -- subscripts -------------------------------------------------------------------------

    def _subscript(self, node: cst.Subscript, frame: Frame) -> Any:
        base = self.evaluate(node.value, frame)
        items = []
        keys = []
        for element in node.slice:
            index = element.slice
            value = None
            if isinstance(index, cst.Index):
                value = self.evaluate(index.value, frame)
                keys.append(value)
            else:
                bounds = tuple(
                    self.evaluate(part, frame) if part is not None else None
                    for part in (index.lower, index.upper, index.step)
                )
                value = bounds
            items.append(describe_index(element, value))
        items = tuple(items)
        first = items[0] if items else ("other",)
        if isinstance(base, RnnResult):
            return self._result_item(base, first)
        if isinstance(base, StateTuple):
            if first == ("int", 0):
                return self.state_fact(base.site, "h")
            if first in (("int", 1), ("int", -1)):
                return self.state_fact(base.site, "c")
            return None
        if isinstance(base, TupleValue):
            if first[0] == "int" and -len(base.items) <= first[1] < len(base.items):
                return base.items[first[1]]
            if len(base.items) == 1:
                return base.items[0]
            return class_selection.entry_chosen(base, None)
        if isinstance(base, KeywordsValue) and len(keys) == 1:
            return class_selection.entry_chosen(base, keys[0])
        if isinstance(base, Container):
            if first[0] == "int" and -len(base.items) <= first[1] < len(base.items):
                return base.items[first[1]]
            if len(base.items) == 1 or _all_same_rnn(base.items):
                return base.items[0] if base.items else None
            return None
        if isinstance(base, Sym) and base.key[0] == "name" and len(node.slice) == 1:
            index = node.slice[0].slice
            if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
                key = index.value.evaluated_value
                if isinstance(key, str):
                    return self.config_read(f"{base.key[1]}.{key}", key, node)
        if isinstance(base, TensorFact):
            result = index_tensor(base, items)
            self.events.indexes.append(Index(base, node, items, frame.guard, frame.scope, result))
            return result
        return None

    def _result_item(self, result: RnnResult, first: tuple) -> Any:
        if first == ("int", 0):
            return self.output_fact(result)
        if first in (("int", 1), ("int", -1)):
            return self.state_value(result.site)
        return None

    _handlers: dict[type, Any] = {}


def _all_same_rnn(items: tuple) -> bool:
    return bool(items) and all(isinstance(item, RnnModule) for item in items) and len(
        {(item.rnn.bidirectional, item.rnn.hidden_size) for item in items}
    ) == 1


def _compare(operator: type, left: Sym, right: Sym) -> bool | None:
    if operator in (cst.Equal, cst.Is):
        if left.key == right.key and left.key[0] in ("int", "bool", "str"):
            return True
        if left.key[0] in ("int", "bool", "str") and right.key[0] in ("int", "bool", "str"):
            return False
    if operator in (cst.NotEqual, cst.IsNot):
        same = _compare(cst.Equal, left, right)
        return None if same is None else not same
    a, b = left.int_value, right.int_value
    if a is None or b is None:
        return None
    if operator is cst.GreaterThan:
        return a > b
    if operator is cst.GreaterThanEqual:
        return a >= b
    if operator is cst.LessThan:
        return a < b
    if operator is cst.LessThanEqual:
        return a <= b
    return None


def index_tensor(fact: TensorFact, items: tuple) -> TensorFact | None:
    """The fact for ``fact[items]``: a row of a state, a step of an output, or nothing known."""
    first = items[0] if items else ("other",)
    rest = items[1:]
    half = half_of_output(fact, items)
    if half is not None:
        return half
    if fact.role == "state":
        if first[0] == "int" and all(item in (("full",), ("ellipsis",)) for item in rest):
            return fact.derive(role="row", width=1, rank=2, time_axis=None)
        return None
    if fact.role == "output" and fact.time_axis is not None:
        if len(items) > 3 or ("ellipsis",) in items[:-1]:
            return None
        padded = list(items) + [("full",)] * (3 - len(items))
        time_item, batch_item = padded[fact.time_axis], padded[1 - fact.time_axis]
        if batch_item == ("permutation",) and time_item == padded[2] == ("full",):
            return fact  # the batch's sequences reordered (a sort undone): still the output
        if time_item[0] != "int" or batch_item not in (("full",), ("ellipsis",)):
            return None
        feature_kept = padded[2] in (("full",), ("ellipsis",))
        return fact.derive(
            role="step",
            rank=2,
            time_axis=None,
            width=fact.width if feature_kept else None,
            extra_features=fact.extra_features and feature_kept,
        )
    if fact.role == "sequence":
        return _index_sequence(fact, items)
    if fact.role in ("row", "step", "summary"):
        if all(item in (("full",), ("ellipsis",)) for item in items):
            return fact
        return None
    return None


def _index_sequence(fact: TensorFact, items: tuple) -> TensorFact | None:
    """``o[k]`` / ``o[k, :]`` of one sequence's output (time first): its step k."""
    if len(items) > 2 or items[0][0] != "int":
        return None
    feature_kept = len(items) == 1 or items[1] in (("full",), ("ellipsis",))
    width = fact.width if feature_kept else None
    return fact.derive(role="step", rank=1, time_axis=None, width=width)


def install_handlers(cls: type) -> None:
    cls._handlers = {
        cst.Name: cls._name,
        cst.Attribute: cls._attribute,
        cst.Integer: cls._integer,
        cst.Float: cls._float,
        cst.Imaginary: cls._float,
        cst.SimpleString: cls._string,
        cst.ConcatenatedString: cls._string,
        cst.FormattedString: cls._string,
        cst.Tuple: cls._tuple,
        cst.List: cls._tuple,
        cst.ListComp: cls._comprehension,
        cst.Dict: cls._dict,
        cst.GeneratorExp: cls._comprehension,
        cst.BinaryOperation: cls._binary,
        cst.UnaryOperation: cls._unary,
        cst.BooleanOperation: cls._boolean,
        cst.Comparison: cls._comparison,
        cst.IfExp: cls._if_expression,
        cst.NamedExpr: cls._named_expression,
        cst.Await: cls._await,
        cst.Lambda: cls._lambda,
        cst.Subscript: cls._subscript,
        cst.Call: cls.call,
    }


__all__ = ["ExpressionEvaluator", "install_handlers", "index_tensor", "FunctionRef"]
