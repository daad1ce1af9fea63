"""What a field holds, judged by its name: a secret, personal data, or neither.

One vocabulary for the whole product: the API and console mask by it
(:mod:`accord.api.masking`) and the store encrypts by it (:mod:`accord.store.sealing`).
A field's name is normalised first (``sessionId``, ``Session-ID`` and ``session_id`` are
the same field; ``BillingPostalCode`` is ``billing_postal_code``) and split into words.
"""

from __future__ import annotations

import re

PERSONAL_FIELDS = frozenset({"billing_address", "shipping_address", "contacts", "tax_profile",
                             "name", "ssn", "iban", "bic", "dob"})
PERSONAL_WORDS = frozenset({
    "email", "emails", "address", "addresses", "phone", "phones", "mobile", "fax", "street",
    "city", "postal", "postcode", "zip", "ssn", "iban", "vat", "contact", "contacts",
    "birthdate", "birthday", "passport",
})
PERSONAL_PHRASES = ("tax_id", "first_name", "last_name", "middle_name", "full_name",
                    "customer_name", "contact_name", "billing_name", "shipping_name",
                    "person_name", "display_name", "date_of_birth", "birth_date",
                    "bank_account", "account_number", "routing_number", "card_number",
                    "ip_address", "national_id", "social_security", "line1", "line2")
SECRET_WORDS = frozenset({
    "secret", "secrets", "token", "tokens", "password", "passwd", "pwd", "apikey",
    "authorization", "signature", "cookie", "cookies", "credential", "credentials",
    "session", "sessionid", "passphrase",
})
SECRET_PHRASES = ("api_key", "private_key", "access_key", "client_secret", "set_cookie")

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def normalise(field: str) -> str:
    """``sessionId`` -> ``session_id``; ``Set-Cookie`` -> ``set_cookie``."""
    return _CAMEL.sub("_", field).replace("-", "_").replace(" ", "_").lower()


def _words(name: str) -> set[str]:
    return {word for word in name.split("_") if word}


def is_secret(field: str) -> bool:
    name = normalise(field)
    return bool(_words(name) & SECRET_WORDS) or any(p in name for p in SECRET_PHRASES)


def is_personal(field: str) -> bool:
    name = normalise(field)
    return (name in PERSONAL_FIELDS or bool(_words(name) & PERSONAL_WORDS)
            or any(phrase in name for phrase in PERSONAL_PHRASES))


IDENTIFYING_WORDS = frozenset({"legal_name", "company_name", "account_name", "alt_name",
                               "companyname", "altname", "domain", "website"})
"""Not personal for display (a company's name is how operators and viewers find it), but
identifying a customer: encrypted at rest with the personal fields."""
FREE_TEXT = frozenset({"reason", "message", "detail", "description", "note", "system_said",
                       "error_message"})
"""Free text that may quote any of the above: encrypted at rest too."""


def sealed_at_rest(field: str) -> bool:
    """Whether the store encrypts this field's value (:mod:`accord.store.sealing`)."""
    name = normalise(field)
    return (is_personal(field) or is_secret(field) or name in IDENTIFYING_WORDS
            or name in FREE_TEXT)


__all__ = ["IDENTIFYING_WORDS", "is_personal", "is_secret", "normalise", "sealed_at_rest"]
