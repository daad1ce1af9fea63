"""Stripe's description of its objects, read from the installed ``stripe`` package.

stripe-python's resource classes are generated from Stripe's OpenAPI description for the API
version the package pins: every field of an object is a class annotation (``Optional[...]``
where Stripe may send ``null``), nested objects are inner classes, ``ExpandableField[X]`` is an
id or the expanded object, and ``_field_encodings`` marks decimals sent as strings. This module
turns those annotations into checkable shapes and judges JSON against them:

* every documented field is present (``null`` allowed only where the annotation is Optional);
* every value has the documented type (nested objects recursively, lists item by item,
  expanded objects by their own class);
* no field the class does not document.

Two shapes are not generated classes, and are taken from stripe-python's hand-written
``ListObject`` and ``SearchResultObject`` plus Stripe's API reference: a list is ``object``,
``data``, ``has_more``, ``url``; a search result adds ``next_page`` (null on the last page).
A deleted object is answered as ``id``, ``object`` and ``deleted: true``. Error bodies carry
only the fields that apply (Stripe omits the rest), so only undocumented and mistyped fields
count there.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
import types
import typing
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, ForwardRef, Literal, Union

from stripe._error_object import ErrorObject
from stripe._list_object import ListObject
from stripe._object_classes import OBJECT_CLASSES
from stripe._search_result_object import SearchResultObject
from stripe._stripe_object import StripeObject, UntypedStripeObject

import stripe

JSON = Any


@dataclass(frozen=True)
class Violation:
    """One way a JSON value departs from the description: ``kind`` is ``missing``,
    ``undocumented`` or ``mistyped``; ``path`` is a dotted path inside the response."""

    kind: str
    path: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.path}" + (f": {self.detail}" if self.detail else "")


@dataclass
class Coverage:
    """Per object: fields seen with a value other than null, and fields seen at all."""

    valued: dict[str, set[str]] = field(default_factory=dict)
    seen: dict[str, set[str]] = field(default_factory=dict)

    def note(self, owner: str, name: str, value: JSON) -> None:
        self.seen.setdefault(owner, set()).add(name)
        if value is not None:
            self.valued.setdefault(owner, set()).add(name)


# -- reading the annotations -----------------------------------------------------------------
@cache
def _imported_names(module_name: str) -> dict[str, tuple[str, str]]:
    """Names a stripe module imports (also under ``TYPE_CHECKING``): alias -> (module, name).
    Forward references in annotations name these."""
    module = sys.modules[module_name]
    names: dict[str, tuple[str, str]] = {}
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = (node.module, alias.name)
    return names


def _resolve(ref: ForwardRef | str, owner: type) -> Any:
    name = ref.__forward_arg__ if isinstance(ref, ForwardRef) else ref
    module = sys.modules[owner.__module__]
    if hasattr(module, name):
        return getattr(module, name)
    source = _imported_names(owner.__module__).get(name)
    if source is None:
        raise LookupError(f"{owner.__qualname__}: cannot resolve {name!r}")
    return getattr(importlib.import_module(source[0]), source[1])


@cache
def documented_fields(cls: type) -> dict[str, Any]:
    """Wire name -> annotation for every field a stripe class documents."""
    remap: dict[str, str] = getattr(cls, "_field_remappings", {}) or {}
    fields: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        for name, hint in vars(klass).get("__annotations__", {}).items():
            if name.startswith("_") or typing.get_origin(hint) is typing.ClassVar:
                continue
            if isinstance(hint, str) and hint.startswith("ClassVar"):
                continue
            fields[remap.get(name, name)] = (hint, klass)
    return {name: _normalise(hint, klass) for name, (hint, klass) in fields.items()}


def _normalise(hint: Any, owner: type) -> Any:
    """Forward references replaced by the classes they name (recursively)."""
    if isinstance(hint, ForwardRef | str):
        return _resolve(hint, owner)
    origin = typing.get_origin(hint)
    if origin is None:
        return hint
    args = tuple(_normalise(arg, owner) if not isinstance(arg, str) or origin is not Literal
                 else arg for arg in typing.get_args(hint))
    if origin is Literal:
        return hint
    if origin in (Union, types.UnionType):
        return Union[args]  # noqa: UP007 - a runtime Union of resolved classes
    return _Generic(origin, args)


@dataclass(frozen=True)
class _Generic:
    origin: Any
    args: tuple[Any, ...]


def object_class(name: str) -> type | None:
    """The stripe class for an ``object`` value (``charge``, ``billing.meter``, ...)."""
    found = OBJECT_CLASSES.get(name)
    if found is None:
        return None
    cls: type = getattr(importlib.import_module(found[0]), found[1])
    return cls


def encodings(cls: type) -> dict[str, str]:
    return dict(getattr(cls, "_field_encodings", {}) or {})


# -- judging JSON ----------------------------------------------------------------------------
class Judge:
    """Checks JSON against the description and collects violations and coverage."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []
        self.coverage = Coverage()

    def response(self, body: JSON, path: str = "$") -> None:
        """A whole answer: an object, a list, a search result, a deletion or an error."""
        if isinstance(body, dict) and set(body) == {"error"}:
            self._error(body["error"], f"{path}.error")
            return
        self.value(body, Any, path)

    # the one recursive entry point
    def value(self, value: JSON, hint: Any, path: str, *, encoding: str | None = None
              ) -> bool:
        """True when ``value`` fits ``hint``; records violations when it does not."""
        before = len(self.violations)
        self._judge(value, hint, path, encoding)
        return len(self.violations) == before

    @staticmethod
    def _try(value: JSON, hint: Any, path: str, encoding: str | None) -> list[Violation]:
        """The violations ``value`` would have under ``hint`` (nothing recorded)."""
        sub = Judge()
        sub._judge(value, hint, path, encoding)
        return sub.violations

    def _judge(self, value: JSON, hint: Any, path: str, encoding: str | None) -> None:
        if hint is Any:
            if isinstance(value, dict) and isinstance(value.get("object"), str):
                self._object(value, path)
            return
        if hint is type(None):
            if value is not None:
                self._bad(path, f"expected null, got {_kind(value)}")
            return
        if typing.get_origin(hint) in (Union, types.UnionType):
            self._union(value, typing.get_args(hint), path, encoding)
            return
        if typing.get_origin(hint) is Literal:
            allowed = typing.get_args(hint)
            if value not in allowed:
                shown = ", ".join(map(repr, allowed[:6])) + (", ..." if len(allowed) > 6 else "")
                self._bad(path, f"expected one of {shown}; got {value!r}")
            return
        if isinstance(hint, _Generic):
            self._generic(value, hint, path)
            return
        if hint is str and encoding == "decimal_string":
            if not isinstance(value, str) or not _is_decimal(value):
                self._bad(path, f"expected a decimal string, got {value!r}")
            return
        if hint is Decimal:
            if not isinstance(value, str) or not _is_decimal(value):
                self._bad(path, f"expected a decimal string, got {value!r}")
            return
        if hint in (str, int, bool, float):
            self._primitive(value, hint, path)
            return
        if isinstance(hint, type) and issubclass(hint, StripeObject):
            self._class(value, hint, path)
            return
        raise TypeError(f"{path}: no rule for annotation {hint!r}")

    def _primitive(self, value: JSON, hint: type, path: str) -> None:
        ok = (isinstance(value, bool) if hint is bool
              else isinstance(value, int | float) and not isinstance(value, bool)
              if hint is float
              else isinstance(value, hint) and not isinstance(value, bool))
        if not ok:
            self._bad(path, f"expected {hint.__name__}, got {_kind(value)} {value!r}")

    def _union(self, value: JSON, options: tuple[Any, ...], path: str,
               encoding: str | None) -> None:
        if value is None:
            if type(None) not in options:
                self._bad(path, "null where the field is not nullable")
            return
        options = tuple(option for option in options if option is not type(None))
        if len(options) == 1:
            self._judge(value, options[0], path, encoding)
            return
        if isinstance(value, dict) and isinstance(value.get("object"), str):
            # an expanded object: judge it by the class its ``object`` names
            named = [option for option in options if _object_name(option) == value["object"]]
            if named:
                self._judge(value, named[0], path, encoding)
                return
        attempts = [self._try(value, option, path, encoding) for option in options]
        if any(not errors for errors in attempts):
            for option, errors in zip(options, attempts, strict=True):
                if not errors:  # record coverage for the fitting reading
                    self._judge(value, option, path, encoding)
                    break
            return
        self.violations.extend(min(attempts, key=len))

    def _generic(self, value: JSON, hint: _Generic, path: str) -> None:
        origin, args = hint.origin, hint.args
        if origin in (list, typing.List):  # noqa: UP006
            if not isinstance(value, list):
                self._bad(path, f"expected a list, got {_kind(value)}")
                return
            for index, item in enumerate(value):
                self._judge(item, args[0], f"{path}[{index}]", None)
            return
        if origin in (dict, typing.Dict) or origin is UntypedStripeObject:  # noqa: UP006
            if not isinstance(value, dict):
                self._bad(path, f"expected a map, got {_kind(value)}")
                return
            item_hint = args[-1] if args else Any
            if item_hint is Any and isinstance(value.get("object"), str):
                self._object(value, path)  # an event's ``data.object``: a whole object
                return
            for key, item in value.items():
                if item_hint is not Any:
                    self._judge(item, item_hint, f"{path}.{key}", None)
            return
        if origin is ListObject:
            self._envelope(value, "list", args[0], path)
            return
        if origin is SearchResultObject:
            self._envelope(value, "search_result", args[0], path)
            return
        raise TypeError(f"{path}: no rule for generic {origin!r}")

    def _envelope(self, value: JSON, kind: str, item: Any, path: str) -> None:
        if not isinstance(value, dict):
            self._bad(path, f"expected a {kind}, got {_kind(value)}")
            return
        shape: dict[str, Any] = {"object": Literal[kind], "data": None, "has_more": bool,
                                 "url": str}
        if kind == "search_result":
            shape["next_page"] = str | None
        self._fields(value, shape, path, skip={"data"}, owner=kind)
        data = value.get("data")
        if not isinstance(data, list):
            self._bad(f"{path}.data", "expected a list")
            return
        for index, entry in enumerate(data):
            self._judge(entry, item, f"{path}.data[{index}]", None)

    def _object(self, value: dict[str, Any], path: str) -> None:
        kind = value["object"]
        if kind in ("list", "search_result"):
            self._envelope(value, kind, Any, path)
            return
        cls = object_class(kind)
        if cls is None:
            self._bad(path, f"no Stripe object is called {kind!r}", kind="undocumented")
            return
        if value.get("deleted") is True and set(value) == {"id", "object", "deleted"}:
            # the answer to a deletion (and the expansion of a deleted object)
            self.coverage.note(owner_name(cls), "deleted", True)
            self._fields(value, {"id": str, "object": Literal[kind],
                                 "deleted": Literal[True]}, path, owner=f"deleted {kind}")
            return
        self._class(value, cls, path)

    def _class(self, value: JSON, cls: type, path: str) -> None:
        if not isinstance(value, dict):
            self._bad(path, f"expected {cls.__qualname__}, got {_kind(value)}")
            return
        if value.get("deleted") is True and set(value) == {"id", "object", "deleted"}:
            self._object(value, path)
            return
        hints = documented_fields(cls)
        if is_error_shaped(cls):
            self._error(value, path, cls)
            return
        self._fields(value, hints, path, owner=owner_name(cls), encodings=encodings(cls),
                     may_be_absent=members_not_in_play(cls, value))

    def _fields(self, value: dict[str, Any], hints: dict[str, Any], path: str, *,
                owner: str, skip: set[str] | None = None,
                encodings: dict[str, str] | None = None,
                may_be_absent: frozenset[str] = frozenset()) -> None:
        for name in sorted(set(value) - set(hints)):
            self.violations.append(Violation("undocumented", f"{path}.{name}",
                                             f"{owner} has no field {name!r}"))
        for name, hint in hints.items():
            if name not in value:
                if name not in may_be_absent:
                    self.violations.append(Violation("missing", f"{path}.{name}",
                                                     f"{owner} documents {name!r}"))
                continue
            self.coverage.note(owner, name, value[name])
            if skip and name in skip:
                continue
            self._judge(value[name], hint, f"{path}.{name}", (encodings or {}).get(name))

    def _error(self, value: JSON, path: str, cls: type = ErrorObject) -> None:
        if not isinstance(value, dict):
            self._bad(path, "expected an error object")
            return
        hints = documented_fields(cls)
        for name in sorted(value):
            if name not in hints:
                self.violations.append(Violation("undocumented", f"{path}.{name}",
                                                 f"error has no field {name!r}"))
            else:
                self._judge(value[name], hints[name], f"{path}.{name}", None)
        if "type" not in value:
            self.violations.append(Violation("missing", f"{path}.type"))

    def _bad(self, path: str, detail: str, *, kind: str = "mistyped") -> None:
        self.violations.append(Violation(kind, path, detail))


# -- the members Stripe sends only when they apply ---------------------------------------------
@cache
def payment_method_types() -> frozenset[str]:
    """Every payment method type, from ``PaymentMethod.type``."""
    return frozenset(_literals(documented_fields(stripe.PaymentMethod)["type"]))


def _literals(hint: Any) -> list[str]:
    if typing.get_origin(hint) is Literal:
        return [str(value) for value in typing.get_args(hint)]
    if typing.get_origin(hint) in (Union, types.UnionType):
        return [value for arg in typing.get_args(hint) for value in _literals(arg)]
    return []


@cache
def is_error_shaped(cls: type) -> bool:
    """Stripe's error format (the ``error`` body, ``last_payment_error``,
    ``last_finalization_error``): only the fields that apply are sent."""
    fields = set(documented_fields(cls))
    return cls is ErrorObject or (
        {"type", "code", "message", "decline_code"} <= fields
        and fields <= set(documented_fields(ErrorObject)))


def members_not_in_play(cls: type, value: dict[str, Any]) -> frozenset[str]:
    """Members of ``cls`` that Stripe leaves out of ``value``:

    * a type-keyed object (``payment_method_details``, a PaymentMethod, a refund's
      ``destination_details``, an invoice payment's ``payment``) carries ``type`` and the
      member ``type`` names; the members for the other types are not sent;
    * an object keyed by payment method type (a PaymentIntent's ``payment_method_options``)
      carries only the types in play.
    """
    hints = documented_fields(cls)
    pm_types = payment_method_types()
    if set(hints) <= pm_types:
        return frozenset(hints)
    named = value.get("type")
    if "type" not in hints or not isinstance(named, str) or named not in hints:
        return frozenset()
    variants = set(_literals(hints["type"])) & set(hints)
    if not variants:  # ``type`` is a plain string: the variants are the nested objects
        variants = {name for name, hint in hints.items() if _nested_optional(hint)}
    return frozenset(variants - {named, "type"})


def _nested_optional(hint: Any) -> bool:
    if typing.get_origin(hint) not in (Union, types.UnionType):
        return False
    args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    return (len(args) == 1 and isinstance(args[0], type) and issubclass(args[0], StripeObject)
            and not getattr(args[0], "OBJECT_NAME", None))


def owner_name(cls: type) -> str:
    """``Charge``, ``Charge.Outcome``: how coverage and messages name a class."""
    return cls.__qualname__


def _object_name(hint: Any) -> str | None:
    return getattr(hint, "OBJECT_NAME", None) if isinstance(hint, type) else None


def _is_decimal(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False


def _kind(value: JSON) -> str:
    return "null" if value is None else type(value).__name__


__all__ = ["Coverage", "Judge", "Violation", "documented_fields", "object_class", "owner_name",
           "stripe"]
