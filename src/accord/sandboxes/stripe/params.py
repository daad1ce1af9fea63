"""Typed access to parsed request parameters, with Stripe's error for each bad value.

Every accessor names the parameter the way Stripe does in ``error.param`` (for nested values
``items[0][price]``), so validation errors point at the exact field.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from accord.sandboxes.stripe.errors import invalid, missing_param

_Str = str
_Int = int
_Bool = bool
_List = list


class Params:
    def __init__(self, data: dict[_Str, Any], prefix: _Str = "") -> None:
        self.data = data
        self.prefix = prefix

    def name(self, key: _Str) -> _Str:
        return f"{self.prefix}[{key}]" if self.prefix else key

    def has(self, key: _Str) -> _Bool:
        return key in self.data

    def raw(self, key: _Str) -> Any:
        return self.data.get(key)

    def str(self, key: _Str, *, required: _Bool = False,
            choices: tuple[_Str, ...] | None = None) -> _Str | None:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                raise missing_param(self.name(key))
            return None
        if not isinstance(value, str):
            raise invalid(f"Invalid string: {self.name(key)}", param=self.name(key))
        if choices is not None and value not in choices:
            raise invalid(f"Invalid {self.name(key)}: must be one of {', '.join(choices)}",
                          param=self.name(key))
        return value

    def req(self, key: _Str, choices: tuple[_Str, ...] | None = None) -> _Str:
        value = self.str(key, required=True, choices=choices)
        assert value is not None
        return value

    def int(self, key: _Str, *, required: _Bool = False, minimum: _Int | None = None,
            maximum: _Int | None = None) -> _Int | None:
        value = self.str(key, required=required)
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            raise invalid(f"Invalid integer: {value}", param=self.name(key)) from None
        if minimum is not None and number < minimum:
            raise invalid(f"This value must be greater than or equal to {minimum}.",
                          param=self.name(key))
        if maximum is not None and number > maximum:
            raise invalid(f"This value must be less than or equal to {maximum}.",
                          param=self.name(key))
        return number

    def req_int(self, key: _Str, minimum: _Int | None = None) -> _Int:
        value = self.int(key, required=True, minimum=minimum)
        assert value is not None
        return value

    def decimal(self, key: _Str) -> Decimal | None:
        value = self.str(key)
        if value is None:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise invalid(f"Invalid decimal: {value}", param=self.name(key)) from None
        if not number.is_finite():
            raise invalid(f"Invalid decimal: {value}", param=self.name(key))
        return number

    def bool(self, key: _Str, default: _Bool | None = None) -> _Bool | None:
        value = self.str(key)
        if value is None:
            return default
        if value not in ("true", "false"):
            raise invalid(f"Invalid boolean: {value}", param=self.name(key))
        return value == "true"

    def sub(self, key: _Str) -> Params | None:
        value = self.data.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, dict):
            raise invalid(f"Invalid hash: {self.name(key)}", param=self.name(key))
        return Params(value, self.name(key))

    def list(self, key: _Str) -> _List[Params]:
        value = self.data.get(key)
        if value is None or value == "":
            return []
        if isinstance(value, dict):
            value = list(value.values())
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise invalid(f"Invalid array: {self.name(key)}", param=self.name(key))
        return [Params(item, f"{self.name(key)}[{index}]") for index, item in enumerate(value)]

    def strings(self, key: _Str) -> _List[_Str]:
        value = self.data.get(key)
        if value is None or value == "":
            return []
        if isinstance(value, str):
            return [value]
        if isinstance(value, dict):
            value = list(value.values())
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise invalid(f"Invalid array: {self.name(key)}", param=self.name(key))
        return list(value)

    def metadata(self, current: dict[_Str, _Str] | None = None) -> dict[_Str, _Str]:
        """Merge ``metadata`` into ``current``: an empty value unsets a key, ``metadata=''``
        clears everything (Stripe's rules)."""
        result = dict(current or {})
        value = self.data.get("metadata")
        if value is None:
            return result
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise invalid("Invalid hash", param=self.name("metadata"))
        for key, item in value.items():
            if not isinstance(item, str):
                raise invalid("Metadata values must be strings",
                              param=f"{self.name('metadata')}[{key}]")
            if len(key) > 40:
                raise invalid("Metadata keys can be at most 40 characters",
                              param=f"{self.name('metadata')}[{key}]")
            if len(item) > 500:
                raise invalid("Metadata values can be at most 500 characters",
                              param=f"{self.name('metadata')}[{key}]")
            if item == "":
                result.pop(key, None)
            else:
                result[key] = item
        if len(result) > 50:
            raise invalid("Metadata can have at most 50 keys", param=self.name("metadata"))
        return result
