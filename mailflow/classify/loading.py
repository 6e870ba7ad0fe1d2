"""Reading `rules/classify.yaml` and a council's `classify:` overrides, with actionable errors.

An administrator who mistypes a rule must be told where: every failure is one
`mailflow.errors.RulesError` naming the file, the dotted key path (``kinds.complaint[3].regex``)
and the problem, with the line number when the file itself was read here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from mailflow.classify.schema import ClassifierOverrides, ClassifierRules
from mailflow.errors import RulesError

_Model = TypeVar("_Model", bound=BaseModel)
Loc = Sequence[int | str]


def load_classifier_rules(path: str | Path) -> ClassifierRules:
    """Load and validate the classifier's rules file; raise `RulesError` on any problem."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RulesError(file, "", f"cannot read: {error}") from None
    data, root = _read_yaml(file, text)
    return _validate(ClassifierRules, data, file=file, prefix=(), root=root)


def parse_classifier_overrides(
    data: object, *, file: str, key_path: str = "classify"
) -> ClassifierOverrides:
    """Validate the `classify:` section of a council's rules file (already read by its loader).

    `key_path` is where the section sits in that file, so errors point at the right place.
    """
    prefix = tuple(key_path.split(".")) if key_path else ()
    return _validate(ClassifierOverrides, {} if data is None else data, file=file, prefix=prefix)


def key_path(loc: Loc) -> str:
    """Render a pydantic location as a dotted key path: ``kinds.complaint[3].regex``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _read_yaml(file: str, text: str) -> tuple[object, yaml.Node | None]:
    """Parse once into nodes (which keep line numbers) and data, refusing duplicate keys."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        _refuse_duplicates(file, root, ())
        return (loader.construct_document(root) if root is not None else None), root
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise RulesError(file, "", f"bad YAML{line}: {error.problem}") from None
    except yaml.YAMLError as error:
        raise RulesError(file, "", f"bad YAML: {error}") from None
    finally:
        loader.dispose()


def _refuse_duplicates(file: str, node: yaml.Node | None, loc: tuple[int | str, ...]) -> None:
    # PyYAML keeps the last of two equal keys; a second `complaint:` would silently drop rules.
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                where = key_path((*loc, key.value))
                raise RulesError(file, where, f"duplicate key (line {key.start_mark.line + 1})")
            seen.add(key.value)
            _refuse_duplicates(file, value, (*loc, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _refuse_duplicates(file, item, (*loc, index))


def _validate(
    model: type[_Model],
    data: object,
    *,
    file: str,
    prefix: tuple[str, ...],
    root: yaml.Node | None = None,
) -> _Model:
    if not isinstance(data, dict):
        raise RulesError(file, key_path(prefix), "expected a mapping of keys to values")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        loc = tuple(first["loc"])
        problem = _problem(first["type"], first["msg"])
        line = _line_of(root, loc)
        if line is not None:
            problem += f" (line {line})"
        raise RulesError(file, key_path((*prefix, *loc)), problem) from None


def _problem(kind: str, message: str) -> str:
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "missing key"
    return message.removeprefix("Value error, ")


def _line_of(root: yaml.Node | None, loc: Loc) -> int | None:
    """The 1-based line of the deepest node along `loc` that exists in the file."""
    node, line = root, None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((pair for pair in node.value if pair[0].value == part), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line
