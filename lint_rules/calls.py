"""What calls mean: building RNNs and layers, calling them, and torch's tensor operations.

This is where an ``nn.LSTM(...)`` becomes an ``RnnInfo``, where ``self.rnn(x)`` becomes an
``RnnCall`` event and an ``(output, state)`` result, and where the output is followed through
pooling, concatenation, transposes and layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from lint_rules import class_selection, flattened_steps
from lint_rules import torch_api as api
from lint_rules.cst_names import last_name
from lint_rules.direction_halves import directions_reduced, directions_view
from lint_rules.events import Chunk, Index, LayerUse, Reshape, RnnCall
from lint_rules.hand_padding import pads_in_front, pads_to_a_length
from lint_rules.helper_arguments import follow_into_helper
from lint_rules.imports import canonical, dotted_name
from lint_rules.instances import Instance, call_instance, crossed_a_class
from lint_rules.last_real_steps import (
    LastRealSteps,
    SequenceLengths,
    gathered_items,
    index_method,
    length_element,
    lengths_method,
    one_sequence,
    sort_result,
    squeezed_batch,
    viewed_as_one_sequence,
)
from lint_rules.packing_helpers import packed_result
from lint_rules.padding_sides import pad_sequence_evidence, padded_in_front
from lint_rules.readouts import HandedToReadout, Readout, readout_named
from lint_rules.scopes import MISSING, Frame
from lint_rules.values import (
    OPAQUE,
    Builder,
    CallSite,
    ClassRef,
    Container,
    FactoryRef,
    FunctionRef,
    KeywordsValue,
    Layer,
    Packed,
    Padded,
    RnnClassRef,
    RnnInfo,
    RnnModule,
    RnnResult,
    SelfRef,
    StateTuple,
    Sym,
    TensorFact,
    TupleValue,
    int_sym,
    tri_and,
)

# Layers applied at every step (a convolution: over neighbouring steps): a padded batch stays one.
_POSITIONWISE_LAYERS = frozenset(("convolution", "Linear", "LayerNorm"))
# Layers that mix an RNN output's features step by step: what they return has the output's steps,
# each computed from both directions' halves there ("per_step").
_FEATURE_MIXING_LAYERS = frozenset(("Linear", "LayerNorm"))
# Normalising over the features of each step keeps per-step values per step.
_PER_STEP_FUNCTIONS = frozenset(("softmax", "log_softmax"))


@dataclass
class Args:
    positional: list = field(default_factory=list)
    keywords: dict = field(default_factory=dict)
    unknown: bool = False  # a ``*x`` or ``**x`` whose contents are not known

    def get(self, position: int, keyword: str) -> Any:
        if keyword in self.keywords:
            return self.keywords[keyword]
        if position < len(self.positional):
            return self.positional[position]
        return None


def names_in(node: Any) -> frozenset[str]:
    """Dotted names a state argument is made of: ``h``, ``(h, c)``, ``self.hidden``."""
    if node is None:
        return frozenset()
    if isinstance(node, (cst.Tuple, cst.List)):
        found: set[str] = set()
        for element in node.elements:
            found |= names_in(element.value)
        return frozenset(found)
    dotted = dotted_name(node)
    return frozenset((dotted,)) if dotted else frozenset()


def _kind_from_name(name: str) -> str:
    lowered = name.lower()
    if "lstm" in lowered:
        return "LSTM"
    if "gru" in lowered:
        return "GRU"
    return ""


def _int_of(value: Any) -> int | None:
    return value.int_value if isinstance(value, Sym) else None


class CallInterpreter:
    """Mixin of the interpreter: the meaning of ``cst.Call`` nodes."""

    def call(self, node: cst.Call, frame: Frame) -> Any:
        func = node.func
        if last_name(func) in api.PACKERS:
            frame.scope.packs = True
            self.events.module_packs = True
            self.events.packing_owners.append(frame.owner)
        elif last_name(func) == "pad_packed_sequence":
            frame.scope.unpacks = True
            self.events.module_packs = True
            self.events.unpacking_owners.append(frame.owner)
        packed = self.call_packing_helper(node, frame)
        if packed is not None:
            return packed
        if isinstance(func, cst.Attribute):
            base_node = func.value
            root = base_node
            while isinstance(root, cst.Attribute):
                root = root.value
            if isinstance(root, cst.Name) and frame.lookup(root.value) is MISSING:
                qualified = self.imports.resolve(func)
                if qualified is not None:
                    return self.call_qualified(qualified, node, self.arguments(node, frame), frame)
            base = self.evaluate(base_node, frame)
            method = func.attr.value
            if isinstance(base, SelfRef):
                callee = self.self_attribute(method, frame)
                return self.call_value(callee, node, self.arguments(node, frame), frame)
            if (
                isinstance(base, Sym)
                and base.key[0] == "name"
                and method not in api.BUILDER_METHODS
            ):
                dotted = f"{base.key[1]}.{method}"
                return self.call_qualified(dotted, node, self.arguments(node, frame), frame)
            if base is None and method == "get" and isinstance(base_node, cst.Name):
                return self.dictionary_get(base_node.value, self.arguments(node, frame), node)
            return self.call_method(base, method, node, self.arguments(node, frame), frame)
        callee = self.evaluate(func, frame)
        return self.call_value(callee, node, self.arguments(node, frame), frame)

    def call_packing_helper(self, node: cst.Call, frame: Frame) -> Any:
        """What a call of a function imported from another module of the project gives when
        that function packs its argument (``packing_helpers``): a packed batch, alone or in
        the tuple it returns; None for any other call."""
        if not self.facts.packing_helpers:
            return None
        called = dotted_name(node.func)
        if called is None or frame.lookup(called.split(".", 1)[0]) is not MISSING:
            return None  # a local name, or a function of this module, is no imported helper
        packed = packed_result(self.facts.packing_helpers, called)
        if packed is not None:
            self.arguments(node, frame)  # what the arguments do still happens
        return packed

    def dictionary_get(self, owner: str, args: Args, node: cst.Call) -> Sym | None:
        """``config.get("bidirectional")``, ``kwargs.get("bidirectional", True)``: a config read,
        whose literal default counts as a parameter's default would."""
        key = args.get(0, "key")
        if not (isinstance(key, Sym) and key.key[0] == "str" and isinstance(key.key[1], str)):
            return None
        read = self.config_read(f"{owner}.{key.key[1]}", key.key[1], node)
        default = args.get(1, "default")
        if read.truth is None and isinstance(default, Sym) and default.key[0] == "bool":
            return Sym(read.key, default.truth, node)
        return read

    def arguments(self, node: cst.Call, frame: Frame) -> Args:
        args = Args()
        for arg in node.args:
            value = self.evaluate(arg.value, frame)
            if arg.star == "*":
                if isinstance(value, TupleValue):
                    args.positional.extend(value.items)
                else:
                    args.unknown = True
            elif arg.star == "**":
                if isinstance(value, KeywordsValue):
                    args.keywords.update(value.items)
                    args.unknown = args.unknown or value.open
                else:
                    args.unknown = True
            elif arg.keyword is not None:
                args.keywords[arg.keyword.value] = value
            else:
                args.positional.append(value)
        return args

    # -- dispatch ---------------------------------------------------------------------------

    def call_value(self, callee: Any, node: cst.Call, args: Args, frame: Frame) -> Any:
        if isinstance(callee, RnnModule):
            return self.call_rnn(callee.rnn, node, args, frame)
        if isinstance(callee, Layer):
            return self.apply_layer(callee, args, frame)
        if isinstance(callee, Container):
            return self.apply_sequential(callee, args, frame)
        if isinstance(callee, RnnClassRef):
            return RnnModule(self.build_rnn(callee.kind, args, node))
        if isinstance(callee, FactoryRef):
            return self.call_factory(callee, node, args)
        if isinstance(callee, FunctionRef):
            returned = self.interpret_function(callee.node, callee.owner, None).returned
            followed = follow_into_helper(self, callee, args, frame)
            value = returned if returned is not None else followed
            if isinstance(value, TensorFact) and value.role == "output":
                self.events.helper_outputs.append((node, frame.scope.node, value.site))
            return value
        if isinstance(callee, ClassRef):
            readout = readout_named(self.facts.readouts, callee.node.name.value)
            if readout is None and id(callee.node) in self.classes:
                return Instance(callee.node)
            return readout
        if isinstance(callee, Instance):
            return call_instance(self, callee, frame)
        if isinstance(callee, Readout):
            return self.hand_to_readout(callee, node, args, frame)
        if isinstance(callee, Sym) and callee.key[0] == "name":
            return self.call_qualified(callee.key[1], node, args, frame)
        return None

    def qualified_value(self, qualified: str) -> Any:
        qualified = canonical(qualified)
        kind = api.RNN_CLASSES.get(qualified)
        if kind is not None:
            return RnnClassRef(kind)
        if "." in qualified and not qualified.startswith("torch."):
            return self.config_read(qualified, qualified.rsplit(".", 1)[-1], None)
        return Sym(("name", qualified))

    def extra_kind(self, qualified: str) -> str | None:
        """The RNN kind when ``qualified`` names a configured extra constructor."""
        last = qualified.rsplit(".", 1)[-1]
        for extra in self.extra_constructors:
            if extra == qualified or ("." not in extra and extra == last):
                return _kind_from_name(last)
        return None

    def call_qualified(self, qualified: str, node: cst.Call, args: Args, frame: Frame) -> Any:
        qualified = canonical(qualified)
        last = qualified.rsplit(".", 1)[-1]
        kind = api.RNN_CLASSES.get(qualified)
        if kind is None:
            kind = self.extra_kind(qualified)
        if kind is not None:
            return RnnModule(self.build_rnn(kind, args, node))
        if last == "get" and "." in qualified:
            read = self.dictionary_get(qualified[:-4], args, node)
            if read is not None:
                return read
        if qualified in api.SIZED_LAYERS:
            layer_kind, keyword = api.SIZED_LAYERS[qualified]
            size = args.get(0, keyword)
            return Layer(layer_kind, size if isinstance(size, Sym) else None, node)
        if qualified in api.PASSTHROUGH_LAYERS:
            return Layer("passthrough", None, node)
        if qualified in api.CONVOLUTIONS:
            return Layer("convolution", None, node)
        if qualified == api.EMBEDDING:
            padding = args.get(2, "padding_idx")
            has_padding = padding is not None and not (
                isinstance(padding, Sym) and padding.key[0] == "opaque" and padding.truth is False
            )
            evidence = "an embedding with `padding_idx`" if has_padding else ""
            return Layer("embedding", None, node, evidence)
        if qualified in api.CONTAINERS:
            items: list = []
            for value in args.positional:
                items.extend(value.items if isinstance(value, TupleValue) else (value,))
            return Container(api.CONTAINERS[qualified], tuple(items))
        if qualified in api.TENSOR_BUILDERS:
            return self.make_builder(node, args, frame)
        if qualified in api.WRAPPERS:
            return args.get(0, "data")
        if qualified in ("torch.cat", "torch.concat", "torch.concatenate"):
            return concatenate(args)
        if qualified.startswith("torch.") and last in api.REDUCTIONS and "." not in qualified[6:]:
            return reduce(args.get(0, "input"), last, Args(args.positional[1:], args.keywords))
        if qualified in ("torch.bmm", "torch.matmul"):
            right = args.get(1, "mat2")
            if isinstance(right, TensorFact) and not isinstance(args.get(0, "input"), TensorFact):
                return right.derive(role="summary", time_axis=None, rank=None)
            return None
        if qualified in api.SHAPE_KEEPING_FUNCTIONS:
            value = args.get(0, "input")
            return value if isinstance(value, (TensorFact, Padded)) else None
        if last in _PER_STEP_FUNCTIONS and qualified.startswith("torch."):
            value = args.get(0, "input")
            return value if isinstance(value, TensorFact) and value.role == "per_step" else None
        if qualified in (
            "torch.transpose",
            "torch.reshape",
            "torch.chunk",
            "torch.squeeze",
            "torch.unsqueeze",
            "torch.permute",
            "torch.index_select",
            "torch.gather",
        ):
            rest = Args(args.positional[1:], args.keywords)
            return self.call_method(args.get(0, "input"), last, node, rest, frame)
        if last in ("sort", "argsort"):
            return sort_result(last)
        if qualified == api.PAD_SEQUENCE:
            return Padded(pad_sequence_evidence(_string_keyword(node, "padding_side")))
        if qualified == api.FUNCTIONAL_PAD and _pads_to_a_length(node):
            evidence = "`F.pad` by a target length minus the current one"
            return Padded(padded_in_front(evidence) if _pads_in_front(node) else evidence)
        if last in api.PACKERS:
            frame.scope.packs = True
            return Packed()
        if qualified == api.PAD_PACKED:
            return unpack_padded(args)
        if "." in qualified and last[:1].isupper():
            readout = readout_named(self.facts.readouts, last)
            if readout is not None:
                return readout
        return self.call_builtin(qualified, args)

    def hand_to_readout(self, readout: Readout, node: cst.Call, args: Args, frame: Frame) -> None:
        value = args.get(0, "input")
        if isinstance(value, TensorFact) and value.role == "output":
            if value.time_axis == readout.time_axis:
                event = HandedToReadout(readout, value, node, frame.guard, frame.scope)
                self.events.readouts.append(event)

    def call_builtin(self, name: str, args: Args) -> Any:
        if name == "getattr":
            module = args.get(0, "")
            attribute = args.get(1, "")
            if isinstance(module, Sym) and module.key == ("name", "torch.nn"):
                if isinstance(attribute, Sym) and attribute.key[0] == "str":
                    kind = api.RNN_CLASSES.get(f"torch.nn.{attribute.key[1]}")
                    return RnnClassRef(kind) if kind else None
                return RnnClassRef("")
            return None
        if name == "dict" and not args.positional:
            return KeywordsValue(tuple(args.keywords.items()), open=True)
        if name in ("bool", "int", "tuple", "list"):
            return args.get(0, "")
        if name == "enumerate":
            container = args.get(0, "iterable")
            if isinstance(container, Container):
                return Container(
                    "enumerate", tuple(TupleValue((None, item)) for item in container.items)
                )
            element = one_sequence(container) or length_element(container)
            if element is not None:
                return Container("enumerate", (TupleValue((None, element)),))
        return None

    # -- RNNs -------------------------------------------------------------------------------

    def build_rnn(self, kind: str, args: Args, node: cst.Call) -> RnnInfo:
        names = api.RNN_PARAMETERS.get(kind, api.RNN_PARAMETERS["LSTM"])
        bound = dict(zip(names, args.positional))
        if len(args.positional) > len(names):
            args = Args(args.positional, args.keywords, unknown=True)  # positions we cannot name
        bound.update(args.keywords)

        def flag(name: str) -> bool | None:
            if name not in bound:
                return None if args.unknown else False
            value = bound[name]
            return value.truth if isinstance(value, Sym) else None

        def direction_flag() -> bool | None:
            # A parameter defaulting to False (`bidirectional=False` in a signature) is a
            # setting callers change, not a fact: the path stays open, so code under
            # `if self.bidirectional:` is read as bidirectional. A literal False stays False.
            value = bound.get("bidirectional")
            if isinstance(value, Sym) and value.key[0] == "name" and value.truth is False:
                return None
            return flag("bidirectional")

        def size(name: str, default: int | None = None) -> Sym | None:
            value = bound.get(name)
            if isinstance(value, Sym):
                return value
            if name not in bound and default is not None and not args.unknown:
                return int_sym(default)
            return None

        proj = size("proj_size")
        direction = bound.get("bidirectional")
        rnn = RnnInfo(
            origin=direction.origin if isinstance(direction, Sym) else "",
            kind=kind,
            call=node,
            bidirectional=direction_flag(),
            input_size=size("input_size"),
            hidden_size=size("hidden_size"),
            num_layers=size("num_layers", 1),
            batch_first=flag("batch_first"),
            proj_size=proj if proj is not None and proj.int_value != 0 else None,
            label=f"this {kind or 'RNN'}",
        )
        if "proj_size" in bound and proj is None:
            rnn.hidden_size = None  # a projection we cannot size: H_out unknown
        self.events.rnns.append(rnn)
        return rnn

    def call_factory(self, factory: FactoryRef, node: cst.Call, args: Args) -> Any:
        """Inline a module-level wrapper of ``nn.LSTM``: bind the caller's arguments to its
        parameters, then read the inner constructor call with them."""
        function = factory.node
        params = function.params
        env: dict[str, Any] = {}
        positional = list(params.posonly_params) + list(params.params)
        used_keywords: set[str] = set()
        for index, param in enumerate(positional):
            name = param.name.value
            if index < len(args.positional):
                env[name] = args.positional[index]
            elif name in args.keywords:
                env[name] = args.keywords[name]
                used_keywords.add(name)
            elif param.default is not None:
                env[name] = self.evaluate(param.default, self.module_frame)
            else:
                env[name] = Sym(("name", name))
        for param in params.kwonly_params:
            name = param.name.value
            if name in args.keywords:
                env[name] = args.keywords[name]
                used_keywords.add(name)
            elif param.default is not None:
                env[name] = self.evaluate(param.default, self.module_frame)
        if isinstance(params.star_arg, cst.Param):
            env[params.star_arg.name.value] = TupleValue(tuple(args.positional[len(positional) :]))
        if params.star_kwarg is not None:
            rest = tuple((k, v) for k, v in args.keywords.items() if k not in used_keywords)
            env[params.star_kwarg.name.value] = KeywordsValue(rest)
        frame = Frame(
            env=env, scope=self.module_frame.scope, parent=self.module_frame, keep_nodes=True
        )
        inner = factory.inner_call
        inner_args = self.arguments(inner, frame)
        inner_args.unknown = inner_args.unknown or args.unknown
        return self.call_qualified(factory.target, node, inner_args, frame)

    def call_rnn(self, rnn: RnnInfo, node: cst.Call, args: Args, frame: Frame) -> RnnResult:
        sequence = args.get(0, "input")
        state = args.get(1, "hx")
        state_node = None
        for position, arg in enumerate(node.args):
            if (arg.keyword is None and position == 1) or (
                arg.keyword is not None and arg.keyword.value == "hx"
            ):
                state_node = arg.value
        site = CallSite(rnn, node, tri_and(rnn.bidirectional, frame.guard))
        event = RnnCall(
            site,
            sequence,
            state,
            names_in(state_node),
            frame.loop_depth > 0,
            frame.scope,
            owner=frame.owner.name if frame.owner else None,
            reversed_loop=frame.reversed_loop,
            state_given=state_node is not None or args.unknown,
        )
        self.events.calls.append(event)
        self.calls_by_site[id(site)] = event
        if (
            isinstance(sequence, TensorFact)
            and sequence.site.rnn is not rnn
            and not crossed_a_class(self, sequence, frame)
        ):
            self.events.layer_uses.append(
                LayerUse(Layer("rnn", rnn.input_size, rnn.call), sequence, frame.guard)
            )
        return RnnResult(site, isinstance(sequence, Packed))

    def output_fact(self, result: RnnResult) -> TensorFact:
        batch_first = result.site.rnn.batch_first
        time_axis = 1 if batch_first is True else 0 if batch_first is False else None
        role = "packed" if result.packed else "output"
        return TensorFact(result.site, role, 2, time_axis, 3)

    def state_value(self, site: CallSite) -> Any:
        if site.rnn.kind == "LSTM":
            return StateTuple(site)
        if site.rnn.kind in ("GRU", "RNN"):
            return self.state_fact(site, "h")
        return None

    @staticmethod
    def state_fact(site: CallSite, part: str) -> TensorFact:
        return TensorFact(site, "state", 1, None, 3, part)

    # -- layers -----------------------------------------------------------------------------

    def apply_layer(self, layer: Layer, args: Args, frame: Frame) -> Any:
        value = args.get(0, "input")
        if layer.kind == "passthrough":
            return value
        if (
            isinstance(value, TensorFact)
            and layer.in_size is not None
            and not crossed_a_class(self, value, frame)
        ):
            self.events.layer_uses.append(LayerUse(layer, value, frame.guard))
        if layer.kind == "embedding" and layer.evidence:
            return Padded(layer.evidence)
        if isinstance(value, Padded) and layer.kind in _POSITIONWISE_LAYERS:
            return value  # every step is still there, the padding's too
        if (
            isinstance(value, TensorFact)
            and layer.kind in _FEATURE_MIXING_LAYERS
            and value.role in ("output", "per_step", "sequence")
            and value.time_axis is not None
        ):
            return value.derive(role="per_step", width=None)
        if isinstance(value, TensorFact) and layer.kind in _FEATURE_MIXING_LAYERS:
            return flattened_steps.after_a_layer(value)
        return None

    def apply_sequential(self, container: Container, args: Args, frame: Frame) -> Any:
        """Passthroughs, then the first layer; what it computed at every step of an output
        (``nn.Sequential(nn.Linear(H2, H2), nn.ReLU())``) when only passthroughs follow it."""
        if container.kind != "Sequential":
            return None
        for position, item in enumerate(container.items):
            if isinstance(item, Layer) and item.kind == "passthrough":
                continue
            if not isinstance(item, Layer):
                return None
            result = self.apply_layer(item, args, frame)
            rest = container.items[position + 1 :]
            if not all(isinstance(later, Layer) and later.kind == "passthrough" for later in rest):
                return None
            if isinstance(result, TensorFact) and result.role == "per_step":
                return result
            return None
        return args.get(0, "input")

    # -- tensor methods ---------------------------------------------------------------------

    def make_builder(self, node: cst.Call, args: Args, frame: Frame) -> Builder | None:
        shape = args.get(0, "size")
        if isinstance(shape, TupleValue):
            shape = shape.items[0] if shape.items else None
        if args.unknown and not args.positional:
            shape = None
        first = shape if isinstance(shape, Sym) else None
        return Builder(node, first, frame.guard, self.directions_name(frame))

    def directions_name(self, frame: Frame) -> str | None:
        """A name that holds the number of directions where a state is built, for the fix."""
        for name, value in frame.env.items():
            if "direction" in name and "bidir" not in name and _is_two(value):
                return name
        owner = frame.owner
        if owner is not None:
            for name, value in owner.attributes.items():
                if "direction" in name and "bidir" not in name and _is_two(value):
                    return f"{frame.self_name or 'self'}.{name}"
        return None

    def call_method(self, base: Any, method: str, node: cst.Call, args: Args, frame: Frame) -> Any:
        if method == "get" and isinstance(base, KeywordsValue):
            return class_selection.entry_chosen(base, args.get(0, "key"))
        if method in api.BUILDER_METHODS:
            return self.make_builder(node, args, frame)
        if isinstance(base, Builder):
            return self.builder_method(base, method, node, args, frame)
        if isinstance(base, Padded):
            if method in api.SHAPE_KEEPING_METHODS or method in (
                "transpose",
                "permute",
                "view",
                "reshape",
                "contiguous",
                "squeeze",
                "unsqueeze",
            ):
                return base
            return None
        if (
            isinstance(base, (RnnModule, Layer, Container, Instance))
            and method in api.MODULE_SELF_METHODS
        ):
            return base  # `self.rnn = self.rnn.cuda()` keeps the module
        if isinstance(base, LastRealSteps):
            return index_method(base, method, args.positional)
        if isinstance(base, SequenceLengths):
            return lengths_method(base, method)
        if method in ("sort", "argsort"):
            return sort_result(method)
        if not isinstance(base, TensorFact):
            return None
        if method == "gather":
            items = gathered_items(base, args.get(0, "dim"), args.get(1, "index"))
            if items is not None:
                self.events.indexes.append(Index(base, node, items, frame.guard, frame.scope, None))
            return None
        if method in api.SHAPE_KEEPING_METHODS:
            return base
        if method in _PER_STEP_FUNCTIONS and base.role == "per_step":
            return base
        if method == "index_select":
            return select_batch(base, _int_of(args.get(0, "dim")))
        if method in ("view", "reshape"):
            sizes = args.positional
            if len(sizes) == 1 and isinstance(sizes[0], TupleValue):
                sizes = list(sizes[0].items)
            sizes = tuple(size if isinstance(size, Sym) else None for size in sizes)
            if not crossed_a_class(self, base, frame):
                self.events.reshapes.append(Reshape(base, node, sizes, frame.guard))
            return (
                directions_view(base, sizes)
                or viewed_as_one_sequence(base, node)
                or flattened_steps.flattened(base, sizes)
                or flattened_steps.restored(base, sizes)
            )
        if method == "transpose":
            return transpose(base, _int_of(args.get(0, "dim0")), _int_of(args.get(1, "dim1")))
        if method == "permute":
            dims = args.positional
            if len(dims) == 1 and isinstance(dims[0], TupleValue):
                dims = list(dims[0].items)
            return permute(base, [_int_of(dim) for dim in dims])
        if base.role == "directions":
            return directions_reduced(base, method, args.get(0, "dim"))
        if method in api.REDUCTIONS:
            return reduce(base, method, args)
        if method in ("squeeze", "unsqueeze"):
            if base.role == "state":
                return base if method == "squeeze" else None
            squeezed = squeezed_batch(base, _int_of(args.get(0, "dim")))
            if method == "squeeze" and squeezed is not None:
                return squeezed
            if base.role in ("output", "step", "row", "summary"):
                return base.derive(role="summary", time_axis=None, rank=None)
            return None
        if method == "chunk":
            chunks, dim = _int_of(args.get(0, "chunks")), args.get(1, "dim")
            if base.role == "state" and chunks == 2 and (dim is None or _int_of(dim) == 0):
                self.events.chunks.append(Chunk(base, node, frame.guard))
            return None
        return None

    def builder_method(
        self, base: Builder, method: str, node: cst.Call, args: Args, frame: Frame
    ) -> Any:
        if method in api.BUILDER_PASSTHROUGH_METHODS:
            return base
        if method in ("expand", "view", "reshape", "repeat"):
            first = args.get(0, "size")
            if isinstance(first, TupleValue):
                first = first.items[0] if first.items else None
            if not isinstance(first, Sym):
                return None
            if first.int_value == -1 or (method == "repeat" and first.int_value == 1):
                return base
            if method == "repeat":
                return None
            return Builder(node, first, frame.guard, self.directions_name(frame))
        return None


def _is_two(value: Any) -> bool:
    return isinstance(value, Sym) and (value.int_value == 2 or value.key == ("directions",))


def transpose(fact: TensorFact, first: int | None, second: int | None) -> TensorFact | None:
    if (
        fact.role in ("output", "packed", "per_step")
        and fact.time_axis is not None
        and {first, second} == {0, 1}
    ):
        return fact.derive(time_axis=1 - fact.time_axis)
    return None


def select_batch(fact: TensorFact, dim: int | None) -> TensorFact | None:
    """``h_n.index_select(1, order)``: reordering the batch (to undo a sort) keeps the meaning;
    a selection along any other axis is not followed."""
    if fact.role == "state" and dim == 1:
        return fact
    if fact.role == "output" and fact.time_axis is not None and dim == 1 - fact.time_axis:
        return fact
    return None


def permute(fact: TensorFact, dims: list) -> TensorFact | None:
    if fact.role not in ("output", "per_step") or fact.time_axis is None or len(dims) != 3:
        return None
    if dims[2] not in (2, -1) or fact.time_axis not in dims:
        return None
    return fact.derive(time_axis=dims.index(fact.time_axis))


def reduce(fact: Any, method: str, args: Args) -> Any:
    """Pooling over a dimension other than the features keeps the feature width."""
    if not isinstance(fact, TensorFact):
        return None
    dim = _int_of(args.get(0, "dim"))
    if dim is None:
        return None
    rank = fact.rank or (3 if fact.role in ("output", "state") else 2)
    if (dim + rank if dim < 0 else dim) >= rank - 1:
        return None
    keepdim = args.keywords.get("keepdim")
    kept = isinstance(keepdim, Sym) and keepdim.truth is True
    result = fact.derive(role="summary", time_axis=None, rank=rank if kept else rank - 1)
    if method in api.PAIR_REDUCTIONS:
        return TupleValue((result, None))
    return result


def concatenate(args: Args) -> Any:
    sequence = args.get(0, "tensors")
    if isinstance(sequence, TupleValue) and sequence.items:
        if all(isinstance(item, Padded) for item in sequence.items):
            return sequence.items[0]  # padded batches side by side: still padded
    dim = _int_of(args.get(1, "dim"))
    if dim is None:
        dim = 0 if args.get(1, "dim") is None else None
    beside = _padded_beside_other_features(sequence, dim)
    if beside is not None:
        return beside
    if not isinstance(sequence, TupleValue) or dim is None or not sequence.items:
        return None
    facts = sequence.items
    widened = _output_beside_other_features(facts, dim)
    if widened is not None:
        return widened
    if not all(isinstance(fact, TensorFact) for fact in facts):
        return None
    first = facts[0]
    if any(fact.site.rnn is not first.site.rnn or fact.rank != first.rank for fact in facts):
        return None
    rank = first.rank
    if rank is None or (dim + rank if dim < 0 else dim) != rank - 1:
        return None
    if any(fact.width is None for fact in facts):
        return None
    return first.derive(role="summary", width=sum(fact.width for fact in facts), time_axis=None)


def _padded_beside_other_features(sequence: Any, dim: int | None) -> Padded | None:
    """``torch.cat((self.word_embed(words), char_features), -1)``: a padded batch joined along
    the feature axis with other per-step features (character CNN, POS tags): every step is still
    there, the padded ones too."""
    if not isinstance(sequence, TupleValue) or dim not in (-1, 2):
        return None
    return next((item for item in sequence.items if isinstance(item, Padded)), None)


def _output_beside_other_features(facts: tuple, dim: int) -> TensorFact | None:
    """``torch.cat([out, extra], -1)``: one RNN's whole output joined along the feature axis with
    tensors not from an RNN (metadata, another embedding). Each step still holds both halves of
    the output where they were, so a read at the last step reads the backward half there."""
    outputs = [fact for fact in facts if isinstance(fact, TensorFact)]
    if len(outputs) != 1 or len(facts) < 2:
        return None
    output = outputs[0]
    if output.role != "output" or output.time_axis is None or output.width != 2:
        return None
    rank = output.rank or 3
    if (dim + rank if dim < 0 else dim) != rank - 1:
        return None
    return output.derive(width=None, extra_features=True)


def unpack_padded(args: Args) -> Any:
    """``pad_packed_sequence(out)``: the padded output and its lengths. An output whose input
    the analysis did not see packed (a parameter of ``forward``: the caller packs) was packed
    all the same, or the call would fail."""
    packed = args.get(0, "sequence")
    if not isinstance(packed, TensorFact) or packed.role not in ("packed", "output"):
        return None
    batch_first = args.get(1, "batch_first")
    truth = (
        False
        if batch_first is None
        else (batch_first.truth if isinstance(batch_first, Sym) else None)
    )
    time_axis = 1 if truth is True else 0 if truth is False else None
    lengths = SequenceLengths(OPAQUE, None, None)
    return TupleValue((packed.derive(role="output", time_axis=time_axis), lengths))


def _pads_to_a_length(call: cst.Call) -> bool:
    """``F.pad(x, (0, 0, 0, max_len - x.size(1)))``: widths that bring a sequence to a length."""
    return any(pads_to_a_length(width) for width in _pad_widths(call))


def _string_keyword(call: cst.Call, name: str) -> str | None:
    """The string a call's keyword is given as a literal (``padding_side="left"``)."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            value = arg.value
            if isinstance(value, cst.SimpleString):
                evaluated = value.evaluated_value
                return evaluated if isinstance(evaluated, str) else None
    return None


def _pads_in_front(call: cst.Call) -> bool:
    """``F.pad(x, (0, 0, max_len - x.size(1), 0))``: such widths, before the sequence."""
    return any(pads_in_front(width) for width in _pad_widths(call))


def _pad_widths(call: cst.Call) -> list[str]:
    widths = [arg.value for arg in call.args if arg.keyword is None][1:2]
    widths += [arg.value for arg in call.args if arg.keyword and arg.keyword.value == "pad"]
    return [cst.Module([]).code_for_node(width) for width in widths]
