"""Loading a workflow file: YAML, the format (spec.py), then every expression and payload; all problems at once.

Expressions are the mapping language's, compiled with the places they were written in, so a problem
in one points at its line and column in the workflow file. Beyond what the mapping language checks,
every `steps.<name>` read must name a step that has finished by then (written earlier, on the way to
this one), and `item`/`index` exist only inside `for_each`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from ferry.core.problems import Problem, ProblemsError
from ferry.mapping.compiler import suggest
from ferry.mapping.loader import compile_document
from ferry.mapping.source import Document, Loc, YamlSyntaxError, parse_yaml
from ferry.workflow import spec as s
from ferry.workflow.plan import (
    Action,
    Body,
    BranchPlan,
    Expr,
    FindPlan,
    GetPlan,
    ReasonPlan,
    SetPlan,
    StepPlan,
    SyncPlan,
    TriggerPlan,
    WaitPlan,
    WorkflowPlan,
    WritePlan,
)

#: What a run's state holds at the top level (see spec.py).
ROOTS = ("trigger", "steps", "run", "item", "index")


def load(path: Path, *, name: str | None = None) -> WorkflowPlan:
    """Load and compile the workflow file at `path`; raise ProblemsError listing every problem."""
    plan, problems = load_checked(path, name=name)
    if plan is None:
        count = len(problems)
        raise ProblemsError(problems, f"{path}: the workflow has {count} problem{'s' if count != 1 else ''}")
    return plan


def load_checked(path: Path, *, name: str | None = None) -> tuple[WorkflowPlan | None, list[Problem]]:
    """The compiled workflow (None when it has problems) and the problems found."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return None, [
            Problem(f"cannot read the workflow: {reason}", file=str(path), hint="check the path in ferry.yaml")
        ]
    try:
        doc = parse_yaml(text, str(path))
    except YamlSyntaxError as exc:
        return None, [exc.problem]
    return _Loader(doc, name or path.stem).run()


def _sub(doc: Document, loc: Loc, data: Any, prefix: Loc = ()) -> Document:
    """The part of `doc` at `loc` as a document of its own (keys re-rooted under `prefix`)."""
    n = len(loc)
    keys = {(*prefix, *k[n:]): p for k, p in doc.keys.items() if k[:n] == loc}
    values = {(*prefix, *k[n:]): p for k, p in doc.values.items() if k[:n] == loc}
    return Document(doc.file, data, keys, values)


class _Loader:
    def __init__(self, doc: Document, name: str) -> None:
        self.doc = doc
        self.name = name
        self.problems: list[Problem] = []
        self.names: dict[str, Loc] = {}
        self.all_names: set[str] = set()

    def problem(self, loc: Loc, message: str, hint: str | None = None) -> Problem:
        place = self.doc.where(loc)
        label = _label(self.doc.data, loc)
        line, column = (place.line, place.column) if place else (None, None)
        return Problem(f"{label}: {message}" if label else message, self.doc.file, line, column, hint)

    def run(self) -> tuple[WorkflowPlan | None, list[Problem]]:
        spec = self.validate()
        plan = self.compile(spec) if spec is not None else None
        problems = sorted(self.problems, key=lambda p: (p.line or 0, p.column or 0))
        return (plan if not problems else None), problems

    # --- the format ---------------------------------------------------------------------------

    def validate(self) -> s.WorkflowSpec | None:
        if not isinstance(self.doc.data, dict):
            self.problems.append(
                self.problem((), "a workflow is an object with `version`, `trigger` and `steps`", None)
            )
            return None
        try:
            return s.WorkflowSpec.model_validate(self.doc.data)
        except PydanticValidationError as exc:
            seen: set[Loc] = set()
            for error in exc.errors(include_url=False):
                loc = tuple(p for p in error["loc"] if not _is_tag(p))
                if loc in seen:
                    continue
                seen.add(loc)
                self.problems.append(self._problem(loc, error))
            return None

    def _problem(self, loc: Loc, error: Any) -> Problem:
        kind, message = error["type"], str(error["msg"]).removeprefix("Value error, ")
        if kind == "extra_forbidden":
            return self.problem(loc, f"unknown key {loc[-1]!r}", _known_keys_hint(loc))
        if kind == "missing":
            return self.problem(loc[:-1], f"missing required key {loc[-1]!r}", None)
        if kind == "string_pattern_mismatch" and loc[-1:] == ("name",):
            return self.problem(loc, "a step name is lower case letters, digits and _", "e.g. tims_order")
        return self.problem(loc, message[:1].lower() + message[1:] if message else kind, None)

    # --- compiling ----------------------------------------------------------------------------

    def compile(self, spec: s.WorkflowSpec) -> WorkflowPlan | None:
        self.all_names = _names(spec.steps)
        trigger = spec.trigger
        options: dict[str, Any] = {"filter": trigger.filter} if trigger.filter else {}
        trigger_plan = TriggerPlan(
            trigger.connection,
            trigger.entity,
            options,
            self.expr(("trigger", "when"), trigger.when, record_scope=True) if trigger.when else None,
            self.expr(("trigger", "key"), trigger.key, record_scope=True) if trigger.key else None,
            trigger.webhooks,
            trigger.poll_seconds,
            trigger.history,
        )
        steps = self.steps(spec.steps, ("steps",), before=set(), in_loop=False)
        if self.problems:
            return None
        return WorkflowPlan(
            spec.name or self.name, trigger_plan, steps, spec.on_failure, spec.description, self.doc.file
        )

    def steps(self, steps: Sequence[s.Step], loc: Loc, *, before: set[str], in_loop: bool) -> tuple[StepPlan, ...]:
        """Compile steps in order; `before` holds the names finished by the time the first one runs."""
        done = set(before)
        out = []
        for index, step in enumerate(steps):
            at = (*loc, index)
            if step.name in self.names:
                line = self.doc.where(self.names[step.name])
                also = f" (also at line {line.line})" if line else ""
                self.problems.append(self.problem((*at, "name"), f"the step name {step.name!r} is used twice{also}"))
            self.names.setdefault(step.name, (*at, "name"))
            out.append(self.step(step, at, done, in_loop))
            done.add(step.name)
        return tuple(out)

    def step(self, step: s.Step, loc: Loc, before: set[str], in_loop: bool) -> StepPlan:
        scope = self.scope(before, in_loop=in_loop or step.for_each is not None, step=step.name)
        outer = self.scope(before, in_loop=in_loop, step=step.name)
        when = self.expr((*loc, "when"), step.when, scope=outer) if step.when else None
        for_each = self.expr((*loc, "for_each"), step.for_each, scope=outer) if step.for_each else None
        kind = step.action
        at = (*loc, kind)
        action: Action
        if kind == "branch":
            assert step.branch is not None
            cases = []
            for n, case in enumerate(step.branch):
                cond = self.expr((*at, n, "when"), case.when, scope=scope) if case.when else None
                if case.when is None and n != len(step.branch) - 1:
                    self.problems.append(
                        self.problem((*at, n), "only the last case may leave out `when` (it is 'otherwise')")
                    )
                inner = self.steps(case.steps, (*at, n, "steps"), before=before | {step.name}, in_loop=in_loop)
                cases.append((cond, inner))
            action = BranchPlan(tuple(cases))
        else:
            action = self.action(kind, getattr(step, kind), at, scope)
        compensate = None
        if step.compensate is not None:
            comp_kind = "create" if step.compensate.create is not None else "update"
            comp_at = (*loc, "compensate", comp_kind)
            with_self = self.scope(before | {step.name}, in_loop=False, step=step.name)
            compensated = self.action(comp_kind, getattr(step.compensate, comp_kind), comp_at, with_self)
            assert isinstance(compensated, WritePlan)
            compensate = compensated
        return StepPlan(step.name, kind, action, when, for_each, step.on_failure, compensate, step.description)

    def action(self, kind: str, spec: Any, at: Loc, scope: set[str]) -> Action:
        def match(values: dict[str, str]) -> dict[str, Expr]:
            return {f: self.expr((*at, "match", f), v, scope=scope) for f, v in values.items()}

        if kind == "find":
            missing = self.expr((*at, "missing"), spec.missing, scope=scope) if spec.missing else None
            return FindPlan(spec.connection, spec.entity, match(spec.match), spec.required, missing)
        if kind == "get":
            return GetPlan(spec.connection, spec.entity, self.expr((*at, "id"), spec.id, scope=scope), spec.required)
        if kind in ("create", "update", "ensure"):
            body = self.body((*at, "map"), spec.map, scope)
            ident = self.expr((*at, "id"), spec.id, scope=scope) if kind == "update" else None
            found = match(spec.match) if kind == "ensure" else {}
            return WritePlan(
                kind,  # type: ignore[arg-type]
                spec.connection,
                spec.entity,
                body,
                ident,
                found,
                bool(getattr(spec, "update", False)),
            )
        if kind == "sync":
            return SyncPlan(spec.sync, spec.side, self.expr((*at, "id"), spec.id, scope=scope))
        if kind == "wait":
            wait: s.Wait = spec
            secs: Expr | float | None = None
            if isinstance(wait.seconds, str):
                secs = self.expr((*at, "seconds"), wait.seconds, scope=scope)
            elif wait.seconds is not None:
                secs = float(wait.seconds)
            record_scope = scope | {"record"}
            return WaitPlan(
                secs,
                wait.connection,
                wait.entity,
                self.expr((*at, "id"), wait.id, scope=scope) if wait.id else None,
                match(wait.match) if wait.match else None,
                self.expr((*at, "until"), wait.until, scope=record_scope) if wait.until else None,
                float(wait.every),
                float(wait.timeout) if wait.timeout is not None else None,
            )
        if kind == "set":
            return SetPlan(self.body(at, spec, scope))
        assert kind in ("review", "fail")
        return ReasonPlan(kind, self.expr((*at, "reason"), spec.reason, scope=scope))  # type: ignore[arg-type]

    # --- expressions and payloads --------------------------------------------------------------

    @staticmethod
    def scope(before: set[str], *, in_loop: bool, step: str) -> set[str]:
        """The names an expression may read: roots, and `steps.<name>` of the steps finished before."""
        roots = {"trigger", "steps", "run"} | ({"item", "index"} if in_loop else set())
        return roots | {f"steps.{name}" for name in before}

    def expr(self, loc: Loc, text: str | None, *, scope: set[str] | None = None, record_scope: bool = False) -> Expr:
        assert text is not None
        place_key, place_value = self.doc.where(loc), self.doc.values.get(tuple(loc))
        sub = Document(self.doc.file, {"version": 1, "fields": {"value": text}})
        if place_key is not None:
            sub.keys[("fields", "value")] = place_key
        if place_value is not None:
            sub.values[("fields", "value")] = place_value
        label = _label(self.doc.data, loc)
        mapping, problems = compile_document(sub, name=f"{self.name}:{label}")
        self.problems.extend(_relabel(p, label, "fields.value") for p in problems)
        if mapping is None:
            return _NULL
        if not record_scope:
            self.check_reads(loc, mapping.fields_read, scope or set())
        return Expr(text, mapping)

    def body(self, loc: Loc, body: dict[str, Any], scope: set[str]) -> Body:
        if not isinstance(body, dict) or "version" in body:
            self.problems.append(
                self.problem(loc, "a `map` is a mapping body (`fields:`, `lists:`...) without `version`")
            )
            return _NULL_BODY
        sub = _sub(self.doc, loc, {"version": 1, **body})
        label = _label(self.doc.data, loc)
        mapping, problems = compile_document(sub, name=f"{self.name}:{label}")
        self.problems.extend(_relabel(p, label, "") for p in problems)
        if mapping is None:
            return _NULL_BODY
        self.check_reads(loc, mapping.fields_read, scope)
        return Body(mapping)

    def check_reads(self, loc: Loc, reads: frozenset[str], scope: set[str]) -> None:
        for path in sorted(reads):
            hint: str | None
            parts = path.split(".")
            root = parts[0]
            if root == "record" and "record" in scope:
                continue
            if root not in scope:
                known = sorted(r for r in ROOTS if r in scope) + (["record"] if "record" in scope else [])
                hint = suggest(root, known) or "a run's state holds " + ", ".join(known)
                if root in ("item", "index"):
                    hint = "`item` and `index` exist only in a step with `for_each`"
                self.problems.append(self.problem(loc, f"unknown name {root!r} in {path!r}", hint))
            elif root == "steps" and len(parts) > 1 and f"steps.{parts[1]}" not in scope:
                finished = sorted(n.removeprefix("steps.") for n in scope if n.startswith("steps."))
                if parts[1] in self.all_names:
                    message = f"{path!r} reads step {parts[1]!r}, which has not run by then"
                    hint = "a step reads only the steps before it (on its way through branches)"
                else:
                    message = f"{path!r}: there is no step named {parts[1]!r}"
                    hint = suggest(parts[1], finished) or (
                        "steps before this one: " + ", ".join(finished) if finished else None
                    )
                self.problems.append(self.problem(loc, message, hint))


def _names(steps: Sequence[s.Step]) -> set[str]:
    """Every step name, branches' steps included (to tell "not yet" from "no such step")."""
    found = set()
    for step in steps:
        found.add(step.name)
        for case in step.branch or ():
            found |= _names(case.steps)
    return found


def _label(data: Any, loc: Loc) -> str:
    """`loc` as people read it: a step by its name, `steps[account].ensure.map`."""
    out = ""
    node = data
    for part in loc:
        name = None
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            name = node.get("name") if isinstance(node, dict) else None
            out += f"[{name}]" if isinstance(name, str) else f"[{part}]"
            continue
        node = node.get(part) if isinstance(node, dict) else None
        out += f".{part}" if out else str(part)
    return out


def _relabel(problem: Problem, label: str, inner: str) -> Problem:
    """A problem found in a part, named by where the part sits in the workflow file."""
    message = problem.message
    if inner and message.startswith(inner + ": "):
        message = message[len(inner) + 2 :]
    return Problem(f"{label}: {message}", problem.file, problem.line, problem.column, problem.hint)


def _is_tag(part: Any) -> bool:
    return isinstance(part, str) and part in ("function-after", "function-before", "str", "float", "int")


def _known_keys_hint(loc: Loc) -> str | None:
    models: dict[str, type[Any]] = {
        "trigger": s.Trigger,
        "find": s.Find,
        "get": s.Get,
        "create": s.Create,
        "update": s.Update,
        "ensure": s.Ensure,
        "sync": s.SyncStep,
        "wait": s.Wait,
    }
    parent = next((str(p) for p in reversed(loc[:-1]) if isinstance(p, str)), "")
    model = models.get(parent) or (s.Step if parent in ("steps", "") or isinstance(loc[-2], int) else None)
    if model is None:
        return None
    keys = sorted(model.model_fields)
    return suggest(str(loc[-1]), keys) or "known keys: " + ", ".join(keys)


def _constant_mapping() -> Any:
    from ferry.mapping import compile_mapping

    return compile_mapping({"version": 1, "fields": {"value": None}}, name="<null>")


_NULL = Expr("null", _constant_mapping())
_NULL_BODY = Body(_constant_mapping())
