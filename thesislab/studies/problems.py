"""Problems of a YAML document, each one line with its place: the file, the line and the key path
(``study.yaml:14: architectures.1.stages.bench.devices.0: ...``).

`validation_problems` turns every error of a pydantic validation into a problem (not only the
first); a key the schema does not know is named as read, with the closest valid key; of a
union's branches, only those the input could have meant are reported. `Places` finds the line of
a key path in the document as written.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, Union, get_args, get_origin

import pydantic
import yaml
from pydantic import BaseModel

from thesislab.errors import shown

M = TypeVar("M", bound=BaseModel)

KeyPath = tuple[str | int, ...]
"""Keys and list positions from the document's top, e.g. ("architectures", 1, "arch")."""

_KINDS = {
    "string_type": "a string",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
}
"""What pydantic's type errors expect, in words."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong, at one place of the document."""

    path: KeyPath
    message: str


def closest_key(key: str | int, valid: Iterable[str]) -> str | None:
    """The valid key `key` is most likely a misspelling of, if any is close."""
    closest = difflib.get_close_matches(str(key), sorted(set(valid)), n=1)
    return closest[0] if closest else None


def unknown_key(path: KeyPath, key: str | int, valid: Iterable[str]) -> Problem:
    """The key `key` of the mapping at `path` is none of `valid`: a problem at the key, as read,
    with the closest valid key (or all of them when none is close)."""
    closest = closest_key(key, valid)
    if closest is not None:
        return Problem((*path, key), f"unknown key: did you mean {closest!r}?")
    known = sorted(set(valid))
    return Problem(
        (*path, key), f"unknown key: expected one of {', '.join(known)}" if known else "unknown key"
    )


def unknown_keys(
    mapping: Mapping[str, Any], path: KeyPath, model: type[BaseModel], also: Iterable[str] = ()
) -> list[Problem]:
    """A problem for each key of `mapping` that is no field of `model` (nor one of `also`)."""
    valid = {*_keys_of(model), *also}
    return [unknown_key(path, key, valid) for key in mapping if key not in valid]


def valid_part(model: type[M], data: Any) -> tuple[M | None, bool]:
    """`data` validated as `model`, and True; or, where it does not validate, what does: the
    mapping without the keys that fail (a key holding a model keeps the part of it that
    validates; a list goes whole, so that its items keep their positions), and False; (None,
    False) where nothing does."""
    try:
        return model.model_validate(data), True
    except pydantic.ValidationError as error:
        failing = {detail["loc"][0] for detail in error.errors() if detail["loc"]}
    if not isinstance(data, Mapping) or not failing:
        return None, False
    kept: dict[str, Any] = {}
    for key, value in data.items():
        if key not in failing:
            kept[key] = value
            continue
        inner = next((m for m in _members(_field(model, key)) if _is_model(m)), None)
        part = valid_part(inner, value)[0] if inner is not None else None
        if part is not None:
            kept[key] = part
    try:
        return model.model_validate(kept), False
    except pydantic.ValidationError:
        return None, False


class Places:
    """The line of every key and list item of a YAML document, as written."""

    def __init__(self, root: yaml.Node | None) -> None:
        self._root = root

    @classmethod
    def parse(cls, text: str) -> tuple[Any, Places]:
        """The document's data and its places (`yaml.YAMLError` when it is not YAML)."""
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
        return data, cls(root)

    def line(self, path: KeyPath) -> int | None:
        """The line (from 1) of the deepest part of `path` the document has."""
        node = self._root
        if node is None:
            return None
        line = node.start_mark.line + 1
        for part in path:
            if isinstance(node, yaml.MappingNode):
                found = next(
                    ((key, value) for key, value in node.value if key.value == str(part)), None
                )
                if found is None:
                    break
                line, node = found[0].start_mark.line + 1, found[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if not 0 <= part < len(node.value):
                    break
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        return line

    def describe(self, origin: str, problem: Problem) -> str:
        """The problem as one line: ``origin:line: key.path: message``."""
        line = self.line(problem.path)
        where = origin if line is None else f"{origin}:{line}"
        keys = ".".join(str(part) for part in problem.path)
        return f"{where}: {keys}: {problem.message}" if keys else f"{where}: {problem.message}"


def document_order(data: Any, path: KeyPath) -> tuple[int, ...]:
    """Where `path` comes in `data` (a mapping's keys in their order, as YAML reads them): the
    problems of a document sort by it into the order of its lines."""
    order: list[int] = []
    node = data
    for part in path:
        if isinstance(node, Mapping) and part in node:
            order.append(list(node).index(part))
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            order.append(part)
        else:
            break
        node = node[part]
    return tuple(order)


def _members(annotation: Any) -> list[Any]:
    """The types a field's annotation accepts (a union's members, None left out)."""
    if get_origin(annotation) in (Union, types.UnionType):
        return [member for member in get_args(annotation) if member is not type(None)]
    return [annotation]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _keys_of(model: type[BaseModel]) -> set[str]:
    """The keys a model reads: its fields' names and aliases."""
    return {
        key
        for name, field in model.model_fields.items()
        for key in (name, field.alias)
        if key is not None
    }


def _field(model: type[BaseModel], key: object) -> Any:
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field.annotation
    return None


def _model_at(model: type[BaseModel], location: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model that validated the mapping at a pydantic error location (its union branch tags
    included), where the schema says."""
    annotation: Any = model
    for part in location:
        members = _members(annotation)
        annotation = None
        for member in members:
            if getattr(member, "__name__", None) == part:  # a union branch's tag
                annotation = member
            elif isinstance(part, int) and get_origin(member) in (list, tuple):
                annotation = get_args(member)[0]
            elif isinstance(part, str) and _is_model(member):
                annotation = _field(member, part)
            if annotation is not None:
                break
        if annotation is None:
            return None
    return next((member for member in _members(annotation) if _is_model(member)), None)


def _split(location: tuple[str | int, ...], data: Any) -> tuple[KeyPath, bool]:
    """The part of an error location that is in the document, and whether the rest names a
    union's branch (a tag pydantic adds, such as 'str' or 'ArchSpec')."""
    path: list[str | int] = []
    node = data
    for part in location:
        in_mapping = isinstance(node, Mapping) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (in_mapping or in_list):
            return tuple(path), True
        node = node[part]
        path.append(part)
    return tuple(path), False


def validation_problems(
    error: pydantic.ValidationError, data: Any, model: type[BaseModel]
) -> list[Problem]:
    """Every error of validating `data` as `model`, one problem each.

    A required key reported missing beside an unknown key that is its closest match (a
    misspelling) is reported once, as the unknown key. Where the input fits none of a union's
    branches by type, one problem says which types it could be; where it fits one, the others'
    type errors are left out."""
    problems: list[Problem] = []
    misspelt: dict[KeyPath, set[str | None]] = {}
    missing: dict[KeyPath, list[str]] = {}
    branches: dict[KeyPath, list[tuple[str | None, str]]] = {}
    for detail in error.errors():
        location = tuple(detail["loc"])
        kind = detail["type"]
        received = shown(detail.get("input"))
        if kind in ("missing", "extra_forbidden"):
            parent, _ = _split(location[:-1], data)
            key = location[-1]
            if kind == "missing":
                missing.setdefault(parent, []).append(str(key))
                continue
            at = _model_at(model, location[:-1])
            valid = _keys_of(at) if at is not None else set()
            misspelt.setdefault(parent, set()).add(closest_key(key, valid))
            problems.append(unknown_key(parent, key, valid))
            continue
        path, in_branch = _split(location, data)
        if in_branch and kind in _KINDS and len(location) == len(path) + 1:
            branches.setdefault(path, []).append((_KINDS[kind], received))
            continue
        if in_branch:
            branches.setdefault(path, []).append((None, received))
        if kind in _KINDS:
            problems.append(Problem(path, f"expected {_KINDS[kind]}, received {received}"))
        elif kind == "too_short":
            least = detail.get("ctx", {}).get("min_length")
            items = "item" if least == 1 else "items"
            problems.append(
                Problem(path, f"expected at least {least} {items}, received {received}")
            )
        elif kind == "value_error":
            problems.append(Problem(path, str(detail["msg"]).removeprefix("Value error, ")))
        else:
            expected = str(detail["msg"]).replace("Input should be", "expected", 1)
            problems.append(Problem(path, f"{expected}, received {received}"))
    for parent, keys in missing.items():
        problems.extend(
            Problem(parent, f"missing key {key!r}")
            for key in keys
            if key not in misspelt.get(parent, set())
        )
    for path, tried in branches.items():
        if all(kind is not None for kind, _ in tried):
            kinds = sorted({kind for kind, _ in tried if kind is not None})
            problems.append(Problem(path, f"expected {' or '.join(kinds)}, received {tried[0][1]}"))
    return problems
