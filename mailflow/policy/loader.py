"""Reading a rules file from disk into a validated ``RulesFile``, or one clear error.

An administrator edits these files by hand, so every failure names the file, the key path
(``procedures.complaints.stages[1].respond.days``) and the problem on one line; YAML syntax
errors carry the line number instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mailflow.errors import RulesError
from mailflow.policy.schema import RulesFile
from mailflow.policy.validate import problems

BUNDLED_NAMES = ("stafford", "chorley", "lgsco-code")


def bundled_rules_dir() -> Path:
    """The rules shipped with mailflow: inside the wheel, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_bundled" / "rules", here.parent / "rules"):
        if candidate.is_dir():
            return candidate
    return here.parent / "rules"


def resolve_rules_path(name_or_path: str) -> Path:
    """A path as given, or a bundled council's file for a bare name such as ``stafford``."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    return bundled_rules_dir() / f"{name_or_path}.yaml"


def read_yaml(path: Path) -> Any:
    """Parse a YAML file, turning I/O and syntax errors into one-line RulesErrors."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulesError(str(path), "", "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(str(path), "", f"cannot be read ({exc})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise RulesError(str(path), where, f"invalid YAML: {problem}") from None


def load_rules(name_or_path: str | Path) -> RulesFile:
    """Load and fully validate a council's rules file."""
    path = resolve_rules_path(str(name_or_path))
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise RulesError(
            str(path), "", "the file must be a mapping of sections (council:, kinds: ...)"
        )
    try:
        rules = RulesFile.model_validate(data)
    except ValidationError as exc:
        raise _first_error(path, exc) from None
    found = problems(rules)
    if found:
        key_path, problem = found[0]
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise RulesError(str(path), key_path, problem + more)
    return rules


def _first_error(path: Path, exc: ValidationError) -> RulesError:
    """Translate pydantic's error list into the first problem, with a dotted key path."""
    errors = exc.errors(include_url=False)
    err = errors[0]
    key_path = dotted(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        problem = "unknown key (not part of the rules schema)"
    elif kind == "missing":
        problem = "required key is missing"
    else:
        problem = str(err["msg"]).removeprefix("Value error, ")
        if "input" in err and not isinstance(err["input"], dict | list):
            problem += f" (got {err['input']!r})"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return RulesError(str(path), key_path, problem + more)


def dotted(loc: tuple[int | str, ...]) -> str:
    """Join a pydantic location as ``procedures.complaints.stages[1].owner``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
