"""The device config reference (``docs/firmware_configs.md``), generated from the model.

:class:`edge.config.DeviceConfig` is what ``load_config`` validates against, so the page is
made from it rather than written beside it: every section, key, type, default, constraint
and description comes from the pydantic fields.  ``shekara-edge config docs`` prints the
page (``make docs`` writes it) and a test fails when the committed page differs, so the
reference cannot fall behind the validator.
"""

from __future__ import annotations

import json
import logging
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from edge.config import DeviceConfig

log = logging.getLogger(__name__)

DOC_PATH = Path("docs/firmware_configs.md")
REGENERATE = "make docs  (or: shekara-edge config docs > docs/firmware_configs.md)"

_SECTION_DEFAULTS = "defaults"
_SCALARS: dict[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    Path: "path",
}

_INTRO = """\
# Device configuration reference

<!-- Generated from edge/config.py by `shekara-edge config docs`; do not edit by hand.
     After changing the model run `make docs`: tests/edge/test_config_doc.py fails until
     this page matches. -->

Every edge device reads one TOML file (`shekara-edge run --config FILE`). It is validated
strictly: an unknown key or a bad value stops the agent at start with the file and the key
named, and `shekara-edge config check FILE` does the same check without starting anything.
Relative paths resolve against the folder of the config file. A value of `unset` below
means the key is simply left out (TOML has no null). Units are in each description.

One example per device role, with the reasons for its values, is in
[`firmware_configs/`](../firmware_configs/README.md); the hardware they assume is in
[hardware/README.md](../hardware/README.md).
"""


@dataclass(frozen=True, slots=True)
class FieldDoc:
    """One key of the device config, as the reference shows it."""

    section: str  # dotted path of the TOML table holding it; "" at the top level
    key: str
    type: str
    required: bool
    default: str  # TOML spelling of the default; "" when required
    constraints: str
    description: str
    numeric: bool  # an integer or a number (bool excluded): its description needs a unit
    table: bool  # a section (TOML table) rather than a value

    @property
    def dotted(self) -> str:
        """The key's full name, as config errors print it (e.g. ``camera.fps``)."""
        return f"{self.section}.{self.key}" if self.section else self.key


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    """(the annotation without ``| None``, whether None was allowed)."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) < len(get_args(annotation)) and len(args) == 1:
            return args[0], True
    return annotation, False


def _model_of(annotation: Any) -> type[BaseModel] | None:
    inner, _ = _unwrap_optional(annotation)
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return inner
    return None


def _type_name(annotation: Any) -> str:
    inner, _ = _unwrap_optional(annotation)
    if inner in _SCALARS:
        return _SCALARS[inner]
    origin = get_origin(inner)
    if origin is Literal:
        return "one of " + ", ".join(f"`{_toml(v)}`" for v in get_args(inner))
    if origin in (list, tuple, set, frozenset):
        args = [a for a in get_args(inner) if a is not Ellipsis]
        return "array of " + (_type_name(args[0]) if args else "values")
    if origin is dict:
        return "table"
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return "table"
    return str(inner).replace("typing.", "")


def _is_numeric(annotation: Any) -> bool:
    inner, _ = _unwrap_optional(annotation)
    return inner in (int, float)


def _toml(value: Any) -> str:
    """A default as it would be written in the TOML file."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def _constraints(info: FieldInfo) -> str:
    found: list[str] = []
    for meta in info.metadata:
        if isinstance(meta, at.Ge):
            found.append(f"≥ {meta.ge}")
        elif isinstance(meta, at.Gt):
            found.append(f"> {meta.gt}")
        elif isinstance(meta, at.Le):
            found.append(f"≤ {meta.le}")
        elif isinstance(meta, at.Lt):
            found.append(f"< {meta.lt}")
        elif isinstance(meta, at.MinLen):
            found.append(f"at least {meta.min_length} long")
        elif isinstance(meta, at.MaxLen):
            found.append(f"at most {meta.max_length} long")
        elif isinstance(meta, at.MultipleOf):
            found.append(f"multiple of {meta.multiple_of}")
        elif getattr(meta, "pattern", None) is not None:
            found.append(f"pattern `{meta.pattern}`")
    return ", ".join(found)


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return ""
    if info.default_factory is not None:
        if _model_of(info.annotation):
            return _SECTION_DEFAULTS  # made by its own model; the rows below show them
        return _toml(info.get_default(call_default_factory=True))
    return _toml(info.default)


def walk(model: type[BaseModel] = DeviceConfig, section: str = "") -> list[FieldDoc]:
    """Every field of ``model`` and of its sections, depth first, in declaration order."""
    out: list[FieldDoc] = []
    nested: list[tuple[str, type[BaseModel]]] = []
    for key, info in model.model_fields.items():
        sub = _model_of(info.annotation)
        out.append(
            FieldDoc(
                section=section,
                key=key,
                type=_type_name(info.annotation),
                required=info.is_required(),
                default=_default(info),
                constraints=_constraints(info),
                description=info.description or "",
                numeric=_is_numeric(info.annotation),
                table=sub is not None,
            )
        )
        if sub is not None:
            nested.append((f"{section}.{key}" if section else key, sub))
    for path, sub in nested:
        out.extend(walk(sub, path))
    return out


def _cell(text: str) -> str:
    # A pipe would end the cell, even inside backticks, in GitHub's tables.
    return text.replace("|", "\\|").replace("\n", " ")


def _table(rows: list[FieldDoc]) -> list[str]:
    lines = [
        "| key | type | required | default | constraints | description |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row.required:
            default = "—"
        elif row.default in ("unset", _SECTION_DEFAULTS):
            default = row.default
        else:
            default = f"`{row.default}`"
        cells = [
            f"`{row.key}`",
            row.type,
            "**yes**" if row.required else "no",
            default,
            row.constraints,
            row.description,
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def _section_models(model: type[BaseModel], path: str = "") -> list[tuple[str, type[BaseModel]]]:
    found: list[tuple[str, type[BaseModel]]] = [(path, model)]
    for key, info in model.model_fields.items():
        sub = _model_of(info.annotation)
        if sub is not None:
            found.extend(_section_models(sub, f"{path}.{key}" if path else key))
    return found


def render(model: type[BaseModel] = DeviceConfig) -> str:
    """The whole reference page as Markdown."""
    fields = walk(model)
    by_dotted = {f.dotted: f for f in fields}
    lines = [_INTRO]
    for path, sub in _section_models(model):
        rows = [f for f in fields if f.section == path and not f.table]
        heading = f"`[{path}]`" if path else "Top level"
        lines.append(f"## {heading}")
        lines.append("")
        doc = " ".join((sub.__doc__ or "").split())
        if path:
            need = (
                "Required table."
                if by_dotted[path].required
                else "Optional table: left out, every key below takes its default."
            )
            lines.append(f"{doc} *{need}*")
        else:
            tables = [f for f in fields if f.section == "" and f.table]
            names = ", ".join(
                f"`[{t.key}]`" + (" (required)" if t.required else "") for t in tables
            )
            lines.append(f"{doc} These keys come before any table; the tables are {names}.")
        lines.append("")
        if rows:
            lines.extend(_table(rows))
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
