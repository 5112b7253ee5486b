"""The shared analysis of one module: find its RNNs and follow their inputs, outputs and states.

One pass of a small abstract interpreter over the libcst tree (no metadata providers): imports
go into a table, classes are read ``__init__`` first so that ``forward`` knows what ``self.rnn``
is, helper methods such as ``init_hidden`` are interpreted once and their return values reused,
and ``if self.bidirectional:`` guards travel with the path. The result is ``Events``: the facts
every rule filters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import libcst as cst

from lint_rules import correlated_branches, guards
from lint_rules import torch_api as api
from lint_rules.calls import CallInterpreter
from lint_rules.events import Events, Scope, StrayInitState
from lint_rules.expressions import ExpressionEvaluator, install_handlers
from lint_rules.flag_branches import keep_taken_rnns
from lint_rules.fragments import unbound_torch_nn
from lint_rules.imports import ImportTable, canonical
from lint_rules.injected_rnns import InjectedRnn, injected_rnns
from lint_rules.last_real_steps import one_sequence
from lint_rules.own_stepping import stepping_calls
from lint_rules.project_index_resolution import NO_FACTS, ModuleFacts
from lint_rules.scopes import MISSING, ClassContext, Frame, FunctionResult
from lint_rules.stacked_layers import interchangeable_outputs, residual_sum
from lint_rules.values import (
    Alternatives,
    Builder,
    ClassRef,
    Container,
    FactoryRef,
    FunctionRef,
    Layer,
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
    builders_in,
    is_state_value,
)

INIT_STATE_METHOD = re.compile(
    r"(init|initial|zero|begin|reset|default).*(hidden|state)|(hidden|state).*init|^init_h",
    re.IGNORECASE,
)
_FACTORY_TARGETS = frozenset(api.RNN_CLASSES) | frozenset(api.SIZED_LAYERS)
_IN_PROGRESS = object()


class Analysis(ExpressionEvaluator, CallInterpreter):
    """Interpret one module; read ``events`` afterwards."""

    def __init__(
        self,
        module: cst.Module,
        extra_constructors: Sequence[str] = (),
        facts: ModuleFacts = NO_FACTS,
    ) -> None:
        self.module = module
        self.extra_constructors = tuple(extra_constructors)
        self.facts = facts
        self.imports = ImportTable()
        self.imports.names.update(facts.star_names)
        self.events = Events()
        self.classes: dict[int, ClassContext] = {}
        self.functions: dict[int, Any] = {}
        self.calls_by_site: dict[int, Any] = {}
        self.module_frame = Frame(env={}, scope=Scope(module))
        self.module_function_ids: set[int] = set()  # module-level functions (their calls bind)
        self.closure_ids: set[int] = set()  # defs inside a function body: no self parameter
        self.injected: dict[tuple[str, str], tuple[InjectedRnn, ...]] = {}  # injected_rnns
        self.injected_values: dict[int, Any] = {}
        self.enclosing_functions: dict[int, Any] = {}  # closure id -> the function around it

    # -- driver ----------------------------------------------------------------------------

    def run(self) -> Events:
        body = self.module.body
        for statement in _module_level_statements(body):
            if isinstance(statement, (cst.Import, cst.ImportFrom)):
                self.imports.add(statement)
        if unbound_torch_nn(self.module, self.imports.names):
            self.imports.names["nn"] = "torch.nn"  # a fragment of PyTorch code (fragments.py)
        module_functions = []
        for statement in body:
            if isinstance(statement, cst.FunctionDef):
                module_functions.append(statement)
                self.module_function_ids.add(id(statement))
                self.module_frame.env[statement.name.value] = self._function_value(statement)
            elif isinstance(statement, cst.ClassDef):
                self._register_class(statement)
        self.injected = injected_rnns(self.module)
        self.run_block(body, self.module_frame)
        for context in list(self.classes.values()):
            self.process_class(context)
        for function in module_functions:
            self.interpret_function(function, None, self.module_frame)
        self.events.project_padding = self.facts.padding
        self.events.project_packs = self.facts.project_packs
        self.events.bidirectional_states = self.facts.bidirectional_states
        self.events.single_step = self.facts.single_step
        self._mark_calls_stepped_elsewhere()
        self.events.enclosing_functions = self.enclosing_functions
        return self.events

    def _mark_calls_stepped_elsewhere(self) -> None:
        """A module whose method hands its state parameter to the RNN and is called in a loop
        elsewhere in the project that carries the state, or in a loop of another method of its
        own class (``predict`` streaming through ``self.step(chunk, h)``): the loop is the
        caller's."""
        stepped_here: dict[int, dict[str, tuple[str, cst.Call]]] = {}
        for call in self.events.calls:
            if call.carried or call.in_loop or call.owner is None or not call.state_names:
                continue
            function = call.scope.node
            if not isinstance(function, cst.FunctionDef):
                continue
            origin = self.facts.stepped_by(call.owner)
            if origin is None:
                origin = self._stepped_in_own_class(function, stepped_here)
            if origin is None:
                continue
            parameters = {param.name.value for param in function.params.params}
            if {name.split(".", 1)[0] for name in call.state_names} <= parameters:
                call.carried = True
                call.carried_by = origin

    def _stepped_in_own_class(self, function: cst.FunctionDef, cache: dict) -> str | None:
        """Where a loop of another method of the class that defines ``function`` (a notebook
        may define a class of the same name twice) steps it, carrying the state."""
        context = next(
            (
                context
                for context in self.classes.values()
                if context.methods.get(function.name.value) is function
            ),
            None,
        )
        if context is None:
            return None
        if id(context) not in cache:
            cache[id(context)] = stepping_calls(context.methods, _iterates_backwards)
        stepped = cache[id(context)].get(function.name.value)
        if stepped is None:
            return None
        caller, call = stepped
        return f"`{caller}` (`{self.module.code_for_node(call)}`)"

    def _function_value(self, function: cst.FunctionDef) -> Any:
        inner = self._factory_call(function)
        if inner is not None:
            return FactoryRef(function, inner[0], inner[1])
        return FunctionRef(function, None)

    def _factory_call(self, function: cst.FunctionDef) -> tuple[cst.Call, str] | None:
        """``def LSTM(*args, **kwargs): m = nn.LSTM(*args, **kwargs); ...; return m``."""
        if not isinstance(function.body, cst.IndentedBlock):
            return None
        built: dict[str, tuple[cst.Call, str]] = {}
        for statement in function.body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.Assign) and isinstance(small.value, cst.Call):
                    target = self._constructor_target(small.value)
                    if target and len(small.targets) == 1:
                        name = small.targets[0].target
                        if isinstance(name, cst.Name):
                            built[name.value] = (small.value, target)
                elif isinstance(small, cst.Return) and small.value is not None:
                    value = small.value
                    if isinstance(value, cst.Name) and value.value in built:
                        return built[value.value]
                    if isinstance(value, cst.Call):
                        target = self._constructor_target(value)
                        if target:
                            return value, target
        return None

    def _constructor_target(self, call: cst.Call) -> str | None:
        qualified = self.imports.resolve(call.func)
        if qualified is None:
            return None
        qualified = canonical(qualified)
        return qualified if qualified in _FACTORY_TARGETS else None

    def _register_class(self, node: cst.ClassDef) -> ClassContext:
        context = self.classes.get(id(node))
        if context is None:
            context = ClassContext(node, node.name.value)
            self.classes[id(node)] = context
            self.module_frame.env.setdefault(node.name.value, ClassRef(node))
        return context

    # -- classes ---------------------------------------------------------------------------

    def process_class(self, context: ClassContext, parent: Frame | None = None) -> None:
        if context.processed:
            return
        context.processed = True
        parent = parent or self.module_frame
        for base in context.node.bases:
            base_value = self.evaluate(base.value, parent)
            if isinstance(base_value, ClassRef):
                base_context = self.classes.get(id(base_value.node))
                if base_context is not None and base_context is not context:
                    self.process_class(base_context)
                    context.bases.append(base_context)
        body = context.node.body
        statements = body.body if isinstance(body, cst.IndentedBlock) else ()
        for statement in statements:
            if isinstance(statement, cst.FunctionDef):
                context.methods[statement.name.value] = statement
                for attribute in _self_assignment_targets(statement):
                    context.assigners.setdefault(attribute, []).append(statement)
            elif isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Assign):
                        value = self.evaluate(small.value, parent)
                        for target in small.targets:
                            if isinstance(target.target, cst.Name):
                                context.constants[target.target.value] = value
                                if isinstance(value, RnnModule) and value.rnn.label.startswith("this "):
                                    value.rnn.label = f"self.{target.target.value}"
        init = context.methods.get("__init__")
        if init is not None:
            self.interpret_function(init, context, parent)
        for method in context.methods.values():
            if method is not init:
                self.interpret_function(method, context, parent)
        self._collect_stray_init_states(context)
        for statement in statements:
            if isinstance(statement, cst.ClassDef) and id(statement) not in self.classes:
                # a class nested in a class (a model's building blocks): its own model
                nested = self.classes[id(statement)] = ClassContext(statement, statement.name.value)
                self.process_class(nested, parent)

    def class_attribute(self, context: ClassContext, attribute: str, frame: Frame) -> Any:
        if attribute in context.attributes:
            return context.attributes[attribute]
        if attribute in context.constants:
            return context.constants[attribute]
        if attribute in context.methods:
            return FunctionRef(context.methods[attribute], context)
        for method in context.assigners.get(attribute, ()):
            if method is frame.scope.node:
                continue
            result = self.interpret_function(method, context, None)
            value = result.self_assignments.get(attribute)
            if is_state_value(value) or isinstance(value, (RnnModule, Layer, Container)):
                return value
        for base in context.bases:
            value = self.class_attribute(base, attribute, frame)
            if value is not MISSING:
                return value
        return MISSING

    def _collect_stray_init_states(self, context: ClassContext) -> None:
        rnns = context.own_rnns()
        if not rnns:
            return
        for name, method in context.methods.items():
            if not INIT_STATE_METHOD.search(name):
                continue
            result = self.functions.get(id(method))
            if isinstance(result, FunctionResult):
                found = builders_in(result.returned)
                if found:
                    self.events.stray_init_states.append(StrayInitState(tuple(found), tuple(rnns)))

    # -- functions -------------------------------------------------------------------------

    def interpret_function(
        self, function: cst.FunctionDef, owner: ClassContext | None, parent: Frame | None
    ) -> FunctionResult:
        """Run a function once (memoised); its parameters are unknown names."""
        done = self.functions.get(id(function))
        if done is _IN_PROGRESS:
            return FunctionResult(None, {})
        if done is not None:
            return done
        self.functions[id(function)] = _IN_PROGRESS
        parent = parent or self.module_frame
        frame = Frame(env={}, scope=Scope(function), parent=parent, owner=owner)
        frame.is_init = owner is not None and function.name.value == "__init__"
        self._bind_parameters(function, frame, owner)
        self.run_block(function.body, frame)
        returned = _join(frame.returns)
        assignments = {
            key[5:]: value for key, value in frame.env.items() if key.startswith("self.")
        }
        if frame.is_init and owner is not None:
            owner.attributes.update(assignments)
        result = FunctionResult(returned, assignments)
        self.functions[id(function)] = result
        return result

    def _bind_parameters(self, function: cst.FunctionDef, frame: Frame,
                         owner: ClassContext | None) -> None:
        params = function.params
        ordered = list(params.posonly_params) + list(params.params)
        closure = id(function) in self.closure_ids
        is_method = owner is not None and not closure and not any(
            isinstance(decorator.decorator, cst.Name)
            and decorator.decorator.value == "staticmethod"
            for decorator in function.decorators
        )
        for index, param in enumerate(ordered + list(params.kwonly_params)):
            name = param.name.value
            frame.scope.names.add(name)
            if index == 0 and is_method and ordered:
                frame.self_name = name
                continue
            truth = None
            if param.default is not None:
                default = self.evaluate(param.default, frame.parent or self.module_frame)
                truth = default.truth if isinstance(default, Sym) else None
            frame.env[name] = Sym(("name", name), truth)
            # a constructor's or a module-level function's parameter, bound by the project's calls
            binds = frame.is_init and owner is not None
            factory = owner is None and id(function) in self.module_function_ids
            if binds and (owner.name, name) in self.injected:
                injected = self._injected_rnn(self.injected[(owner.name, name)])
                if injected is not None:
                    frame.env[name] = injected
                    continue
            if (binds or factory) and truth is not True:
                bound = self.facts.parameter(owner.name if owner else function.name.value, name)
                if bound is not None and bound[0] is True:
                    frame.env[name] = Sym(("name", name), True, None, f"{name}=True from {bound[1]}")
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                frame.env[star.name.value] = None
                frame.scope.names.add(star.name.value)
        enclosing_self = frame.parent.self_name if frame.parent is not None else None
        if closure and enclosing_self not in frame.scope.names:
            frame.self_name = enclosing_self  # `self.lstm` in a def nested in forward

    def _injected_rnn(self, candidates: tuple[InjectedRnn, ...]) -> RnnModule | None:
        """The RNN module handed to a constructor's parameter (``injected_rnns``): the one the
        module's code passes, or among those subclasses build, the first that is bidirectional
        (each subclass is a way to build the model; others leave the parameter unknown)."""
        built = [self._built_rnn(candidate) for candidate in candidates]
        if len(built) == 1:
            return built[0]
        return next((rnn for rnn in built if rnn and rnn.rnn.bidirectional is True), None)

    def _built_rnn(self, injected: InjectedRnn) -> RnnModule | None:
        """One injected RNN, built once so that every class it is handed to shares it: in the
        module's frame, or in a frame of the subclass's ``__init__`` that builds it, whose
        parameters the project binds (``bidirectional=True from train.py:8``)."""
        if id(injected.call) not in self.injected_values:
            frame = self.module_frame
            if injected.subclass is not None and injected.init is not None:
                owner = self._register_class(injected.subclass)
                init = injected.init
                frame = Frame(env={}, scope=Scope(init), parent=self.module_frame, owner=owner)
                frame.is_init = True
                self.injected_values[id(injected.call)] = None  # a subclass handed its own RNN
                self._bind_parameters(init, frame, owner)
            value = self.evaluate(injected.call, frame)
            self.injected_values[id(injected.call)] = value if isinstance(value, RnnModule) else None
        return self.injected_values[id(injected.call)]

    # -- statements ------------------------------------------------------------------------

    def run_block(self, block: Any, frame: Frame) -> None:
        statements = block if isinstance(block, (list, tuple)) else block.body
        for statement in statements:
            self.run_statement(statement, frame)

    def run_statement(self, statement: Any, frame: Frame) -> None:
        handler = _STATEMENTS.get(type(statement))
        if handler is None:
            self.visit_children(statement, frame)
        else:
            handler(self, statement, frame)

    def _simple_line(self, line: cst.SimpleStatementLine, frame: Frame) -> None:
        for small in line.body:
            self.run_statement(small, frame)

    def _assign(self, statement: cst.Assign, frame: Frame) -> None:
        value = self.evaluate(statement.value, frame)
        for target in statement.targets:
            self.assign(target.target, value, frame)

    def _annotated_assign(self, statement: cst.AnnAssign, frame: Frame) -> None:
        if statement.value is not None:
            self.assign(statement.target, self.evaluate(statement.value, frame), frame)

    def _augmented_assign(self, statement: cst.AugAssign, frame: Frame) -> None:
        value = self.evaluate(statement.value, frame)
        self.assign(statement.target, self._added_in_place(statement, value, frame), frame)

    def _added_in_place(self, statement: cst.AugAssign, value: Any, frame: Frame) -> Any:
        """``x += mid`` of an RNN's output: a residual sum (``stacked_layers``), or the output
        itself when what is added is not known to be a tensor of steps (``x + pe`` alike)."""
        if not isinstance(statement.operator, cst.AddAssign):
            return None
        if not isinstance(statement.target, cst.Name):
            return None
        current = frame.lookup(statement.target.value)
        if not isinstance(current, TensorFact) or current.role not in ("output", "per_step"):
            return None
        if isinstance(value, TensorFact):
            return residual_sum(current, value)
        return current

    def _expression(self, statement: cst.Expr, frame: Frame) -> None:
        self.evaluate(statement.value, frame)

    def _return(self, statement: cst.Return, frame: Frame) -> None:
        value = self.evaluate(statement.value, frame) if statement.value is not None else None
        frame.returns.append(value)

    def _import(self, statement: cst.Import | cst.ImportFrom, frame: Frame) -> None:
        self.imports.add(statement)

    def _nothing(self, statement: Any, frame: Frame) -> None:
        return None

    def _function(self, statement: cst.FunctionDef, frame: Frame) -> None:
        if frame is self.module_frame:
            return  # module-level functions run after the module body
        self.closure_ids.add(id(statement))
        self.enclosing_functions[id(statement)] = frame.scope.node
        frame.env[statement.name.value] = FunctionRef(statement, frame.owner, frame)
        self.interpret_function(statement, frame.owner, frame)

    def _class(self, statement: cst.ClassDef, frame: Frame) -> None:
        context = self._register_class(statement)
        if frame is not self.module_frame:
            frame.env[statement.name.value] = ClassRef(statement)
            self.process_class(context, frame)

    def _if(self, statement: cst.If, frame: Frame) -> None:
        test = self.evaluate(statement.test, frame)
        when_true, when_false = guards.polarity(statement.test)
        saved_env, saved_guard = frame.env, frame.guard
        reads = correlated_branches.test_reads(frame, statement.test)
        seen_before = correlated_branches.recall(frame, statement) or ({}, {})
        frame.env = dict(saved_env, **seen_before[0])
        frame.guard = when_true if when_true is not None else saved_guard
        self.run_block(statement.body, frame)
        body_env = frame.env
        body_exits = _always_exits(statement.body)
        frame.env = dict(saved_env, **seen_before[1])
        frame.guard = when_false if when_false is not None else saved_guard
        orelse = statement.orelse
        if isinstance(orelse, cst.If):
            self._if(orelse, frame)
        elif isinstance(orelse, cst.Else):
            self.run_block(orelse.body, frame)
        else_env = frame.env
        else_exits = orelse is not None and _always_exits(
            orelse.body if isinstance(orelse, cst.Else) else None
        )
        frame.guard = saved_guard
        if body_exits and not else_exits:
            frame.env = else_env
            if when_false is not None:
                frame.guard = when_false
        elif else_exits and not body_exits:
            frame.env = body_env
            if when_true is not None:
                frame.guard = when_true
        else:
            keep_taken_rnns(test, body_env, else_env)  # flag_branches
            frame.env = _merge(body_env, else_env)
            correlated_branches.remember(frame, statement, reads, body_env, else_env, frame.env)

    def _loop_body(
        self, statement: cst.For | cst.While, frame: Frame, runs_once: bool = False
    ) -> None:
        before = frame.env
        frame.env = dict(before)
        frame.loop_depth += 1
        self.run_block(statement.body, frame)
        frame.loop_depth -= 1
        if not runs_once:
            frame.env = _merge(before, frame.env)
        if statement.orelse is not None:
            self.run_block(statement.orelse.body, frame)

    def _for(self, statement: cst.For, frame: Frame) -> None:
        iterable = self.evaluate(statement.iter, frame)
        element = None
        if isinstance(iterable, (Container, TupleValue)) and iterable.items:
            element = iterable.items[0] if _all_alike(iterable.items) else None
        elif isinstance(iterable, TensorFact):
            element = one_sequence(iterable)  # `for o in output`: one sequence of the batch
        self.assign(statement.target, element, frame)
        saved = frame.reversed_loop
        frame.reversed_loop = _iterates_backwards(statement.iter)
        # a loop over the layers of a ModuleList runs its body: what it binds is bound after it
        runs_once = (
            isinstance(iterable, Container) and bool(iterable.items) and element is not None
        ) and not _leaves_early(statement.body)
        self._loop_body(statement, frame, runs_once)
        frame.reversed_loop = saved

    def _while(self, statement: cst.While, frame: Frame) -> None:
        self.evaluate(statement.test, frame)
        self._loop_body(statement, frame)

    def _with(self, statement: cst.With, frame: Frame) -> None:
        for item in statement.items:
            self.evaluate(item.item, frame)
            if item.asname is not None:
                self.assign(item.asname.name, None, frame)
        self.run_block(statement.body, frame)

    def _try(self, statement: Any, frame: Frame) -> None:
        self.run_block(statement.body, frame)
        for handler in statement.handlers:
            self.run_block(handler.body, frame)
        if statement.orelse is not None:
            self.run_block(statement.orelse.body, frame)
        if statement.finalbody is not None:
            self.run_block(statement.finalbody.body, frame)

    # -- assignment ------------------------------------------------------------------------

    def assign(self, target: Any, value: Any, frame: Frame) -> None:
        if isinstance(target, cst.Name):
            self._bind(target.value, value, frame)
        elif isinstance(target, cst.Attribute):
            base = self.evaluate(target.value, frame)
            if isinstance(base, SelfRef):
                self._bind("self." + target.attr.value, value, frame)
        elif isinstance(target, (cst.Tuple, cst.List)):
            self._unpack(target, value, frame)
        elif isinstance(target, cst.Subscript):
            self.evaluate(target.value, frame)
        elif isinstance(target, cst.StarredElement):
            self.assign(target.value, None, frame)

    def _unpack(self, target: cst.Tuple | cst.List, value: Any, frame: Frame) -> None:
        elements = target.elements
        items: tuple = ()
        if not any(isinstance(element, cst.StarredElement) for element in elements):
            if isinstance(value, TupleValue):
                items = value.items
            elif isinstance(value, RnnResult):
                state = self.state_value(value.site)
                if state is None and len(elements) == 2:
                    if isinstance(elements[1].value, (cst.Tuple, cst.List)):
                        state = StateTuple(value.site)  # `out, (h, c) = ...`: an LSTM after all
                    elif value.site.rnn.kind == "":
                        # a class chosen at run time: code that reshapes or indexes the state
                        # treats it as one tensor, which it is for a GRU or an RNN
                        state = self.state_fact(value.site, "h")
                items = (self.output_fact(value), state)
            elif isinstance(value, StateTuple):
                items = (self.state_fact(value.site, "h"), self.state_fact(value.site, "c"))
        if len(items) != len(elements):
            items = (None,) * len(elements)
        for element, item in zip(elements, items):
            self.assign(element.value, item, frame)

    def _bind(self, name: str, value: Any, frame: Frame) -> None:
        frame.env[name] = value
        frame.scope.names.add(name)
        if frame.is_init and name.startswith("self.") and frame.owner is not None:
            frame.owner.attributes[name[5:]] = value
        if isinstance(value, RnnModule) and value.rnn.label.startswith("this "):
            value.rnn.label = name
        elif isinstance(value, Container):
            for item in value.items:
                if isinstance(item, RnnModule) and item.rnn.label.startswith("this "):
                    item.rnn.label = f"{name}[...]"
        if isinstance(value, (TensorFact, StateTuple)) and (
            isinstance(value, StateTuple) or value.role == "state"
        ):
            event = self.calls_by_site.get(id(value.site))
            if event is not None and event.in_loop and name in event.state_names:
                event.carried = True


def _module_level_statements(body: Sequence[Any]) -> list[Any]:
    """Small statements at module level, also inside top-level ``if``/``try`` blocks."""
    found: list[Any] = []
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            found.extend(statement.body)
        elif isinstance(statement, (cst.If, cst.Try)):
            found.extend(_module_level_statements(statement.body.body))
            orelse = getattr(statement, "orelse", None)
            if isinstance(orelse, cst.Else):
                found.extend(_module_level_statements(orelse.body.body))
            for handler in getattr(statement, "handlers", ()):
                found.extend(_module_level_statements(handler.body.body))
    return found


def _self_assignment_targets(function: cst.FunctionDef) -> set[str]:
    """Attributes ``self.x`` a method assigns anywhere in its body (statements only)."""
    found: set[str] = set()
    pending = [function.body]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                targets = []
                if isinstance(small, cst.Assign):
                    targets = [target.target for target in small.targets]
                elif isinstance(small, cst.AnnAssign):
                    targets = [small.target]
                while targets:
                    target = targets.pop()
                    if isinstance(target, (cst.Tuple, cst.List)):
                        targets.extend(element.value for element in target.elements)
                    elif (
                        isinstance(target, cst.Attribute)
                        and isinstance(target.value, cst.Name)
                        and target.value.value == "self"
                    ):
                        found.add(target.attr.value)
        elif isinstance(node, (cst.IndentedBlock, cst.SimpleStatementSuite)):
            pending.extend(node.body)
        elif isinstance(node, cst.BaseCompoundStatement) and not isinstance(
            node, (cst.FunctionDef, cst.ClassDef)
        ):
            for name in ("body", "orelse", "finalbody"):
                child = getattr(node, name, None)
                if child is not None:
                    pending.append(child.body if isinstance(child, cst.Else) else child)
            pending.extend(handler.body for handler in getattr(node, "handlers", ()))
    return found


def _iterates_backwards(iterable: Any) -> bool:
    """``reversed(...)``, ``xs[::-1]``, ``range(n - 1, -1, -1)``, ``x.flip(...)``: a loop over
    the sequence from its end (the second pass of chunked bidirectional inference)."""
    if isinstance(iterable, cst.Call):
        func = iterable.func
        name = func.value if isinstance(func, cst.Name) else getattr(getattr(func, "attr", None), "value", "")
        if name in ("reversed", "flip", "flipud"):
            return True
        if name == "range" and len(iterable.args) == 3:
            step = iterable.args[2].value
            return isinstance(step, cst.UnaryOperation) and isinstance(step.operator, cst.Minus)
        if name == "enumerate" and iterable.args:
            return _iterates_backwards(iterable.args[0].value)
        return False
    if isinstance(iterable, cst.Subscript) and len(iterable.slice) == 1:
        index = iterable.slice[0].slice
        step = getattr(index, "step", None)
        return isinstance(step, cst.UnaryOperation) and isinstance(step.operator, cst.Minus)
    return False


def _leaves_early(block: Any) -> bool:
    """A ``break``, ``continue``, ``return`` or ``raise`` in a loop's body (nested loops and
    functions aside): the body may stop before its end."""
    pending = [block]
    while pending:
        node = pending.pop()
        if isinstance(node, (cst.Break, cst.Continue, cst.Return, cst.Raise)):
            return True
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.For, cst.While)):
            continue
        if isinstance(node, cst.SimpleStatementLine):
            pending.extend(node.body)
        elif isinstance(node, (cst.IndentedBlock, cst.SimpleStatementSuite)):
            pending.extend(node.body)
        elif isinstance(node, cst.BaseCompoundStatement):
            for name in ("body", "orelse", "finalbody"):
                child = getattr(node, name, None)
                if child is not None:
                    block = child.body if isinstance(child, (cst.Else, cst.Finally)) else child
                    pending.append(block)
            pending.extend(handler.body for handler in getattr(node, "handlers", ()))
    return False


def _always_exits(block: Any) -> bool:
    if block is None or not isinstance(block, cst.IndentedBlock) or not block.body:
        return False
    last = block.body[-1]
    if isinstance(last, cst.SimpleStatementLine) and last.body:
        return isinstance(last.body[-1], (cst.Return, cst.Raise, cst.Continue, cst.Break))
    return False


def _merge(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Join two branches: a name keeps its fact only where both agree (or one alone sets it)."""
    merged: dict[str, Any] = {}
    for name, value in first.items():
        other = second.get(name, MISSING)
        if other is MISSING or other is value or _same(value, other):
            merged[name] = value
        elif isinstance(value, RnnModule) and isinstance(other, RnnModule):
            merged[name] = merge_rnns(value, other)
        elif _alike_results(value, other) or _alike_layers(value, other):
            merged[name] = value
        elif interchangeable_outputs(value, other):
            merged[name] = other  # a loop's: the RNN its body ran last (stacked_layers)
        elif _layer_on_one_path(value, other):
            merged[name] = value if value.role == "per_step" else other
        elif _padded_on_one_path(value, other):
            merged[name] = value if isinstance(value, Padded) else other
        elif isinstance(value, RnnClassRef) and isinstance(other, RnnClassRef):
            merged[name] = RnnClassRef(value.kind if value.kind == other.kind else "")
        elif is_state_value(value) and is_state_value(other):
            merged[name] = Alternatives((value, other))
        else:
            merged[name] = None
    for name, value in second.items():
        if name not in first:
            merged[name] = value
    return merged


def _alike_results(first: Any, second: Any) -> bool:
    """The same RNN's result from two branches (`out, (h, c) = self.rnn(x)` when it is an LSTM,
    `out, h = self.rnn(x)` otherwise): the branches agree on everything the rules ask."""
    if not (isinstance(first, TensorFact) and isinstance(second, TensorFact)):
        return False
    return (
        first.site.rnn is second.site.rnn
        and first.site.bidirectional == second.site.bidirectional
        and (first.role, first.width, first.time_axis, first.rank, first.part)
        == (second.role, second.width, second.time_axis, second.rank, second.part)
    )


def _layer_on_one_path(first: Any, second: Any) -> bool:
    """One RNN's output on one branch and a layer computed at every step of it on the other
    (``if self.use_attention: out = self.combine(torch.cat((out, context), 2))``): after the
    join, each step holds what both halves of that step gave, as the layer's result does, and
    nothing is known of its width."""
    if not (isinstance(first, TensorFact) and isinstance(second, TensorFact)):
        return False
    return (
        first.site is second.site
        and {first.role, second.role} == {"output", "per_step"}
        and first.time_axis is not None
        and first.time_axis == second.time_axis
        and first.rank == second.rank
    )


def _padded_on_one_path(first: Any, second: Any) -> bool:
    """A batch padded on one branch (``if not pre_embedded: x = self.embed(x)``) and not known to
    be anything else on the other: the RNN after the join reads a padded batch on that path."""
    for padded, other in ((first, second), (second, first)):
        if isinstance(padded, Padded) and (other is None or isinstance(other, Sym)):
            return True
    return False


def _alike_layers(first: Any, second: Any) -> bool:
    """The same kind of layer built in both branches (``nn.Embedding(V, D, max_norm=m,
    padding_idx=p)`` or ``nn.Embedding(V, D, padding_idx=p)``): alike in what the rules ask."""
    if not (isinstance(first, Layer) and isinstance(second, Layer)):
        return False
    sizes_agree = (first.in_size is None and second.in_size is None) or (
        first.in_size is not None
        and second.in_size is not None
        and first.in_size.key == second.in_size.key
    )
    return first.kind == second.kind and first.evidence == second.evidence and sizes_agree


def merge_rnns(first: RnnModule, second: RnnModule) -> RnnModule | None:
    """``self.rnn = nn.LSTM(...)`` in one branch, ``nn.GRU(...)`` in the other: one RNN whose
    kind is unknown, when both agree on what the rules need."""
    a, b = first.rnn, second.rnn

    def same(x: Sym | None, y: Sym | None) -> bool:
        return (x is None and y is None) or (x is not None and y is not None and x.key == y.key)

    if not (
        a.bidirectional == b.bidirectional
        and a.batch_first == b.batch_first
        and same(a.hidden_size, b.hidden_size)
        and same(a.num_layers, b.num_layers)
        and same(a.proj_size, b.proj_size)
    ):
        return None
    kind = a.kind if a.kind == b.kind else ""
    return RnnModule(RnnInfo(kind, a.call, a.bidirectional, a.input_size, a.hidden_size,
                             a.num_layers, a.batch_first, a.proj_size, a.label,
                             a.origin if a.origin == b.origin else a.origin or b.origin))


def _same(first: Any, second: Any) -> bool:
    if isinstance(first, Sym) and isinstance(second, Sym):
        return first.key == second.key and first.truth == second.truth
    return False


def _join(values: list[Any]) -> Any:
    values = [value for value in values if value is not None]
    if not values:
        return None
    first = values[0]
    if all(value is first or _same(value, first) for value in values):
        return first
    if all(is_state_value(value) for value in values):
        return Alternatives(tuple(values))
    return None


def _all_alike(items: tuple) -> bool:
    first = items[0]
    if all(item is first for item in items):
        return True
    if all(isinstance(item, RnnModule) for item in items):
        return len({(item.rnn.bidirectional, item.rnn.hidden_size) for item in items}) == 1
    if all(isinstance(item, TupleValue) and len(item.items) == 2 for item in items):
        return _all_alike(tuple(item.items[1] for item in items))
    return False


_STATEMENTS = {
    cst.SimpleStatementLine: Analysis._simple_line,
    cst.Assign: Analysis._assign,
    cst.AnnAssign: Analysis._annotated_assign,
    cst.AugAssign: Analysis._augmented_assign,
    cst.Expr: Analysis._expression,
    cst.Return: Analysis._return,
    cst.Import: Analysis._import,
    cst.ImportFrom: Analysis._import,
    cst.Pass: Analysis._nothing,
    cst.Break: Analysis._nothing,
    cst.Continue: Analysis._nothing,
    cst.Global: Analysis._nothing,
    cst.Nonlocal: Analysis._nothing,
    cst.FunctionDef: Analysis._function,
    cst.ClassDef: Analysis._class,
    cst.If: Analysis._if,
    cst.For: Analysis._for,
    cst.While: Analysis._while,
    cst.With: Analysis._with,
    cst.Try: Analysis._try,
    cst.TryStar: Analysis._try,
}

install_handlers(Analysis)

__all__ = ["Analysis", "Builder"]


def analyse(
    module: cst.Module, extra_constructors: Sequence[str] = (), facts: ModuleFacts = NO_FACTS
) -> Events:
    """The facts about every RNN in ``module``; ``facts`` are what the rest of the project
    says to it (the project index)."""
    return Analysis(module, extra_constructors, facts).run()
