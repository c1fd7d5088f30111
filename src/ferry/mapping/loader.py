"""Loading a mapping: YAML, then the format (spec.py), then every expression; all problems at once."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from ferry.core.problems import Problem, ProblemsError
from ferry.mapping.compiler import Compiler, constant, item_source, suggest
from ferry.mapping.lexer import ExpressionSyntaxError
from ferry.mapping.lookups import LookupTable
from ferry.mapping.mapping import FieldPlan, IfNull, ListPlan, Mapping, ObjectPlan
from ferry.mapping.nodes import Node
from ferry.mapping.parser import parse
from ferry.mapping.paths import PathError, join_path, split_path
from ferry.mapping.ratefile import rate_table
from ferry.mapping.rates import RateTable
from ferry.mapping.registry import Evaluator
from ferry.mapping.source import Document, Loc, YamlSyntaxError, parse_yaml
from ferry.mapping.spec import FieldSpec, ListSpec, LookupSpec, MappingSpec, ObjectSpec, RatesSpec
from ferry.mapping.values import as_decimal

_MODELS: dict[str, type[Any]] = {"lookups": LookupSpec, "objects": ObjectSpec, "fields": FieldSpec, "lists": ListSpec}


def project_root(path: Path) -> Path:
    """The project a mapping file belongs to: the nearest folder above it holding `ferry.yaml`, else its own."""
    folder = path.resolve().parent
    for candidate in (folder, *folder.parents):
        if (candidate / "ferry.yaml").is_file():
            return candidate
    return folder


def load(path: Path, *, source_fields: Collection[str] | None = None) -> Mapping:
    """Load and compile the mapping file at `path`; raise ProblemsError listing every problem found."""
    mapping, problems = _from_file(path, source_fields)
    if mapping is None:
        raise ProblemsError(problems, f"{path}: the mapping has {_count(problems)}")
    return mapping


def check(path: Path, *, source_fields: Collection[str] | None = None) -> list[Problem]:
    """The problems in the mapping file at `path` (an empty list when it loads)."""
    return _from_file(path, source_fields)[1]


def compile_mapping(
    spec: dict[str, Any] | str,
    *,
    name: str = "<inline>",
    source_fields: Collection[str] | None = None,
    root: Path | None = None,
) -> Mapping:
    """Compile a mapping given as a dict or as YAML text; raise ProblemsError listing every problem found.
    A `rates: file:` is read relative to `root` (the current folder when None)."""
    if isinstance(spec, str):
        mapping, problems = _from_text(spec, name, name, source_fields, root)
    else:
        mapping, problems = _Loader(Document(name, spec), name, source_fields, root).run()
    if mapping is None:
        raise ProblemsError(problems, f"{name}: the mapping has {_count(problems)}")
    return mapping


def compile_document(doc: Document, *, name: str, root: Path | None = None) -> tuple[Mapping | None, list[Problem]]:
    """Compile a mapping already parsed (with the places of its keys), e.g. a part of another file."""
    return _Loader(doc, name, None, root).run()


def _exact(value: Any) -> Any:
    """`value` with every float (from a caller's dict, never from YAML) as a Decimal of its shortest text."""
    if isinstance(value, float):
        return as_decimal(value)
    if isinstance(value, list):
        return [_exact(v) for v in value]
    if isinstance(value, dict):
        return {_exact(k): _exact(v) for k, v in value.items()}
    return value


def _count(problems: list[Problem]) -> str:
    return f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"


def _from_file(path: Path, source_fields: Collection[str] | None) -> tuple[Mapping | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return None, [
            Problem(f"cannot read the mapping: {reason}", file=str(path), hint="check the path in ferry.yaml")
        ]
    return _from_text(text, str(path), path.stem, source_fields, project_root(path))


def _from_text(
    text: str, file: str, default_name: str, source_fields: Collection[str] | None, root: Path | None
) -> tuple[Mapping | None, list[Problem]]:
    try:
        document = parse_yaml(text, file)
    except YamlSyntaxError as exc:
        return None, [exc.problem]
    return _Loader(document, default_name, source_fields, root).run()


class _Loader:
    def __init__(
        self, doc: Document, default_name: str, source_fields: Collection[str] | None, root: Path | None = None
    ) -> None:
        self.doc = doc
        self.default_name = default_name
        self.source_fields = None if source_fields is None else frozenset(source_fields)
        self.root = root
        self.problems: list[Problem] = []

    def run(self) -> tuple[Mapping | None, list[Problem]]:
        spec = self.validate()
        mapping = self.compile(spec) if spec is not None else None
        problems = sorted(self.problems, key=lambda p: (p.line or 0, p.column or 0))
        return (mapping if not problems else None), problems

    # -- the format -------------------------------------------------------------------------------

    def validate(self) -> MappingSpec | None:
        data = self.doc.data
        if not isinstance(data, dict):
            self.problems.append(
                self.doc.problem((), "a mapping is an object with `version` and `fields`", "start from docs/mapping.md")
            )
            return None
        try:
            return MappingSpec.model_validate(data)
        except PydanticValidationError as exc:
            errors = exc.errors()
        seen: set[Loc] = set()
        cleaned = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
        bad_rows: set[Any] = set()
        for error in errors:
            loc = tuple(error["loc"])
            where = self._entry(loc)
            if where in seen:
                continue
            seen.add(where)
            self.problems.append(self._format_problem(loc, error))
            # Drop what is wrong and check the rest, so its expressions are checked too.
            if where[:2] == ("rates", "rows") and len(where) == 3:
                bad_rows.add(where[2])
            elif len(where) == 2 and isinstance(cleaned.get(where[0]), dict):
                cleaned[where[0]].pop(where[1], None)
            elif len(where) == 1:
                cleaned.pop(where[0], None)
        rates = cleaned.get("rates")
        if bad_rows and isinstance(rates, dict) and isinstance(rates.get("rows"), list):
            rates["rows"] = [row for i, row in enumerate(rates["rows"]) if i not in bad_rows]
            if not rates["rows"] and rates.get("file") is None:
                cleaned.pop("rates")
        try:
            return MappingSpec.model_validate({"version": 1, **cleaned})
        except PydanticValidationError:
            return None

    @staticmethod
    def _entry(loc: Loc) -> Loc:
        """The entry an error belongs to: a top-level key, or one lookup, object or field."""
        if loc[:2] == ("rates", "rows") and len(loc) >= 3:
            return loc[:3]
        if loc and loc[0] in _MODELS and len(loc) >= 2:
            return loc[:2]
        return loc[:1]

    def _format_problem(self, loc: Loc, error: Any) -> Problem:
        kind, message = error["type"], str(error["msg"]).removeprefix("Value error, ")
        if kind == "extra_forbidden":
            model = _MODELS.get(loc[0], MappingSpec) if len(loc) > 2 else MappingSpec
            keys = sorted(model.model_fields)
            hint = suggest(str(loc[-1]), keys) or "known keys: " + ", ".join(keys)
            return self.doc.problem(loc, f"unknown key {loc[-1]!r}", hint)
        if kind == "missing":
            return self.doc.problem(loc[:-1], f"missing required key {loc[-1]!r}", None)
        if loc[:1] == ("fields",) and len(loc) >= 3 and loc[2] == "expression":
            return self.doc.problem(
                loc[:2],
                "a field is an expression (text), a constant (a number, true/false, null) or an object",
                "write `Field: expression`, or `Field: {value: expression, ...}`, or `{const: ...}` for a constant",
            )
        return self.doc.problem(loc, message[0].lower() + message[1:] if message else kind, None)

    # -- expressions --------------------------------------------------------------------------------

    def reporter(self, loc: Loc, text: str) -> Callable[[str, Node, str | None], None]:
        def report(message: str, node: Node, hint: str | None) -> None:
            self.problems.append(self.expression_problem(loc, text, node.start, message, hint))

        return report

    def expression_problem(self, loc: Loc, text: str, offset: int, message: str, hint: str | None) -> Problem:
        base = self.doc.problem(loc, message, hint)
        place = self.doc.values.get(loc)
        if place is None:
            return base
        excerpt = text[offset : offset + 24].split("\n")[0]
        if place.style in ("plain", "single", "double") and "\n" not in text:
            column = place.column + offset + (1 if place.style != "plain" else 0)
            return Problem(base.message, file=base.file, line=place.line, column=column, hint=hint)
        line = place.line + (1 if place.style in ("literal", "folded") else 0) + text[:offset].count("\n")
        at = f" (at `{excerpt}`)" if excerpt else " (at the end)"
        return Problem(base.message + at, file=base.file, line=line, hint=hint)

    def expression(self, compiler: Compiler, loc: Loc, text: str) -> Evaluator:
        try:
            node = parse(text)
        except ExpressionSyntaxError as exc:
            self.problems.append(self.expression_problem(loc, text, exc.offset, exc.message, exc.hint))
            return constant(None)
        compiler.report = self.reporter(loc, text)
        return compiler.compile(node)

    def value(self, compiler: Compiler, loc: Loc, value: Any) -> Evaluator:
        """A text is an expression; anything else is a constant."""
        return self.expression(compiler, loc, value) if isinstance(value, str) else constant(value)

    # -- the tree of target objects ----------------------------------------------------------------

    def compile(self, spec: MappingSpec) -> Mapping | None:
        lookups = {
            name: LookupTable(
                name, _exact(t.values), default=_exact(t.default), strict=t.strict, ignore_case=t.ignore_case
            )
            for name, t in spec.lookups.items()
        }
        rates = None if spec.rates is None else self.rates(spec.rates)
        compiler = Compiler(lookups, self.reporter((), ""), rates)
        self.object_specs: dict[tuple[str, ...], ObjectSpec] = {}
        for key, obj in spec.objects.items():
            try:
                self.object_specs[split_path(key)] = obj
            except PathError:
                continue
        root = ObjectPlan("", "")
        objects: dict[tuple[str, ...], ObjectPlan] = {(): root}
        leaves: dict[tuple[str, ...], str] = {}
        self.tree(compiler, spec, spec.fields, ("fields",), objects, leaves)
        parent_reads: list[tuple[str, ...]] = []
        for key, listed in spec.lists.items():
            listing = self.list(compiler, spec, key, listed, objects, leaves, parent_reads)
            if listing is not None:
                root.items.append(listing)
        for key, obj in spec.objects.items():
            parts = self.target(("objects", key), key)
            if parts is None:
                continue
            plan = objects.get(parts)
            if plan is None:
                self.problems.append(
                    self.doc.problem(
                        ("objects", key), f"no field is written under {key!r}", f"write fields as {key}.<name>"
                    )
                )
                continue
            plan.if_empty = obj.if_empty
            plan.create_only = obj.create_only
            if obj.when is not None:
                plan.when = self.expression(compiler, ("objects", key, "when"), obj.when)
        skip = None if spec.skip_when is None else self.expression(compiler, ("skip_when",), spec.skip_when)
        reason = None if spec.skip_reason is None else self.expression(compiler, ("skip_reason",), spec.skip_reason)
        if reason is not None and skip is None:
            self.problems.append(
                self.doc.problem(("skip_reason",), "skip_reason without skip_when", "say when to skip with skip_when")
            )
        self.check_sources(compiler)
        if self.problems:
            return None
        return Mapping(
            spec.name or self.default_name,
            root,
            frozenset(join_path(keys) for keys in [*(k for k, _, _ in compiler.reads), *parent_reads]),
            frozenset(join_path(parts) for parts in leaves),
            skip,
            reason,
        )

    def tree(
        self,
        compiler: Compiler,
        spec: MappingSpec,
        fields: dict[str, Any],
        loc: Loc,
        objects: dict[tuple[str, ...], ObjectPlan],
        leaves: dict[tuple[str, ...], str],
    ) -> None:
        """Compile `fields` into the object tree rooted at `objects[()]`."""
        for key, entry in fields.items():
            parts = self.target((*loc, key), key)
            if parts is None:
                continue
            parent = self.parent(parts, objects, leaves, key, loc)
            if parent is None:
                continue
            leaves[parts] = key
            parent.items.append(self.field(compiler, spec, parts, key, entry, loc))

    def list(
        self,
        compiler: Compiler,
        spec: MappingSpec,
        key: str,
        listed: ListSpec,
        objects: dict[tuple[str, ...], ObjectPlan],
        leaves: dict[tuple[str, ...], str],
        parent_reads: list[tuple[str, ...]],
    ) -> ListPlan | None:
        """A target list: its source read like any field, its items compiled on their own."""
        loc: Loc = ("lists", key)
        parts = self.target(loc, key)
        if parts is None:
            return None
        if len(parts) != 1 or parts in leaves or parts in objects:
            self.problems.append(
                self.doc.problem(loc, f"{key!r} is a list, so it must be a top-level name not written elsewhere", None)
            )
            return None
        leaves[parts] = key
        source = self.expression(compiler, (*loc, "from"), listed.from_)
        when = None if listed.when is None else self.expression(compiler, (*loc, "when"), listed.when)
        # The items' expressions read the source item, not the record: their own compiler, so their
        # reads are not checked against, nor selected as, the record's fields.
        items = Compiler(compiler.lookups, self.reporter(loc, ""), compiler.rates)
        item_root = ObjectPlan("", join_path(parts))
        item_objects: dict[tuple[str, ...], ObjectPlan] = {(): item_root}
        item_leaves: dict[tuple[str, ...], str] = {}
        item_spec = spec.model_copy(update={"if_null": listed.if_null or spec.if_null, "objects": {}})
        self.tree(items, item_spec, listed.fields, (*loc, "fields"), item_objects, item_leaves)
        try:
            # A plain path (or a call giving the items of one, such as group_lines(lines, ...)): its
            # items' fields are read as part of it.
            found = item_source(parse(listed.from_))
        except ExpressionSyntaxError:
            found = None
        prefix = found[0] if found is not None and not found[1] else None
        for keys, _, _ in items.reads:
            if prefix is not None:
                parent_reads.append((*prefix, *keys))
        parent_reads.extend(items.parent_reads)
        leaves.update({(parts[0], *p): f"{key}.{v}" for p, v in item_leaves.items()})
        return ListPlan(parts[0], join_path(parts), source, item_root, when, listed.create_only)

    # -- exchange rates -----------------------------------------------------------------------------

    def rates(self, spec: RatesSpec) -> RateTable:
        table, problems = rate_table(spec, self.doc, self.root)
        self.problems += problems
        return table

    def target(self, loc: Loc, key: str) -> tuple[str, ...] | None:
        try:
            return split_path(key)
        except PathError as exc:
            self.problems.append(self.doc.problem(loc, str(exc), "write parts separated by dots: Address.City"))
            return None

    def parent(
        self,
        parts: tuple[str, ...],
        objects: dict[tuple[str, ...], ObjectPlan],
        leaves: dict[tuple[str, ...], str],
        key: str,
        loc: Loc = ("fields",),
    ) -> ObjectPlan | None:
        if parts in leaves or parts in objects:
            other = leaves.get(parts) or join_path(parts)
            self.problems.append(self.doc.problem((*loc, key), f"{key!r} is written twice (also as {other!r})", None))
            return None
        node = objects[()]
        for depth in range(1, len(parts)):
            prefix = parts[:depth]
            if prefix in leaves:
                self.problems.append(
                    self.doc.problem(
                        (*loc, key),
                        f"{leaves[prefix]!r} is a field, so {key!r} cannot be written inside it",
                        "write the object field by field, or as one value, not both",
                    )
                )
                return None
            child = objects.get(prefix)
            if child is None:
                child = ObjectPlan(prefix[-1], join_path(prefix), if_empty="keep")
                objects[prefix] = child
                node.items.append(child)
            node = child
        return node

    def field(
        self,
        compiler: Compiler,
        spec: MappingSpec,
        parts: tuple[str, ...],
        key: str,
        entry: Any,
        loc: Loc = ("fields",),
    ) -> FieldPlan:
        if_null = self.inherited_if_null(spec, parts)
        path = join_path(parts)
        at = (*loc, key)
        if not isinstance(entry, FieldSpec):
            text = entry if isinstance(entry, str) else repr(entry)
            return FieldPlan(parts[-1], path, self.value(compiler, at, entry), None, if_null, None, False, text)
        if "const" in entry.model_fields_set:
            value, text = constant(_exact(entry.const)), repr(entry.const)
        else:
            assert entry.value is not None
            value, text = self.expression(compiler, (*at, "value"), entry.value), entry.value
        default = None if entry.default is None else self.value(compiler, (*at, "default"), entry.default)
        when = None if entry.when is None else self.expression(compiler, (*at, "when"), entry.when)
        return FieldPlan(parts[-1], path, value, default, entry.if_null or if_null, when, entry.create_only, text)

    def inherited_if_null(self, spec: MappingSpec, parts: tuple[str, ...]) -> IfNull:
        """The nearest enclosing object's `if_null`, else the mapping's."""
        by_path = self.object_specs
        for depth in range(len(parts) - 1, 0, -1):
            obj = by_path.get(parts[:depth])
            if obj is not None and obj.if_null is not None:
                return obj.if_null
        return spec.if_null

    def check_sources(self, compiler: Compiler) -> None:
        if self.source_fields is None:
            return
        known = self.source_fields
        reported: set[tuple[str, ...]] = set()
        for keys, node, report in compiler.reads:
            if any(join_path(keys[:n]) in known for n in range(1, len(keys) + 1)) or keys in reported:
                continue
            reported.add(keys)
            name = join_path(keys)
            hint = suggest(name, sorted(known)) or "check the name against the source entity's fields"
            report(f"unknown source field {name!r}", node, hint)


def compile_text(text: str, *, file: str, root: Path | None = None) -> tuple[Mapping | None, list[Problem]]:
    """Compile a mapping from its text (a draft not yet saved: the console's designer previews it)."""
    return _from_text(text, file, Path(file).stem, None, root)
