"""One masking policy for every API answer and console page, by what a field means.

A field's name is normalised first (``sessionId``, ``Session-ID`` and ``session_id`` are the
same field; ``BillingPostalCode`` is ``billing_postal_code``) and split into words:

* **secrets** are redacted for everyone (:data:`REDACTED`): tokens, passwords, API keys,
  signatures, session ids, cookies, credentials, authorization headers; and, inside any text,
  the value of a secret-named URL query parameter (``?api_key=...``) and ``Bearer`` tokens;
* **personal data** is masked for the ``viewer`` role (:data:`MASK`): e-mail addresses,
  postal addresses and their parts (street, city, postal code), phone numbers, people's and
  customers' names (``name``, ``first_name``...; a company's ``legal_name`` is not
  personal), tax ids, national ids (``ssn``), bank accounts (``iban``), contacts; and inside
  any text shown to a viewer, e-mail addresses;
* an exception's free text (``system_said``, the error's ``detail``) quotes what a system
  said about a record and may hold any of it: masked whole for viewers; its ``reason`` keeps
  its words with e-mails and secrets masked.

A masked field keeps its owner, source and change time; only its value is replaced.
"""

from __future__ import annotations

import re
from typing import Any

from accord.canonical.privacy import PERSONAL_FIELDS, is_personal, is_secret, normalise

MASK = "•••• (masked)"
REDACTED = "[redacted]"

_SECRET_PARAM = re.compile(
    r"(?i)([?&;](?:api[_-]?key|apikey|access[_-]?token|token|key|secret|client[_-]?secret|"
    r"password|passwd|signature|sig|session[_-]?id|sessionid|auth)=)[^&#\s\"'<>]*")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
FREE_TEXT_FIELDS = frozenset({"system_said", "detail"})
"""An exception's quotes of what a system said: masked whole for viewers."""


def scrub_text(text: str, *, mask_personal: bool) -> str:
    """Text with secrets in URLs and auth headers redacted, and e-mails masked for viewers."""
    text = _SECRET_PARAM.sub(lambda m: m.group(1) + REDACTED, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    if mask_personal:
        text = _EMAIL.sub(MASK, text)
    return text


def scrub(value: Any, *, mask_personal: bool) -> Any:
    """A copy of a payload for display: secrets always redacted, personal data masked when
    ``mask_personal``, matched by field meaning at any depth (and inside text)."""
    if isinstance(value, dict):
        cleaned: dict[str, Any] = {}
        for key, item in value.items():
            if is_secret(str(key)):
                cleaned[key] = REDACTED
            elif mask_personal and is_personal(str(key)):
                cleaned[key] = MASK
            else:
                cleaned[key] = scrub(item, mask_personal=mask_personal)
        return cleaned
    if isinstance(value, list):
        return [scrub(item, mask_personal=mask_personal) for item in value]
    if isinstance(value, str):
        return scrub_text(value, mask_personal=mask_personal)
    return value


def scrub_exception(fields: dict[str, Any], *, mask_personal: bool) -> dict[str, Any]:
    """An exception's fields for display: ``reason`` scrubbed as text; for viewers, what the
    system said (``system_said``, ``error.detail``) masked whole."""
    shown = dict(fields)
    if isinstance(shown.get("reason"), str):
        shown["reason"] = scrub_text(shown["reason"], mask_personal=mask_personal)
    if shown.get("system_said") is not None:
        shown["system_said"] = (MASK if mask_personal else
                                scrub_text(str(shown["system_said"]), mask_personal=False))
    error = shown.get("error")
    if isinstance(error, dict):
        error = scrub(error, mask_personal=mask_personal)
        if mask_personal:
            error = {key: MASK if key in FREE_TEXT_FIELDS and item is not None else item
                     for key, item in error.items()}
        shown["error"] = error
    return shown


__all__ = ["MASK", "PERSONAL_FIELDS", "REDACTED", "is_personal", "is_secret", "normalise",
           "scrub", "scrub_exception", "scrub_text"]
