"""Normalization of matching keys: company names, tax ids and web domains."""

from __future__ import annotations

import re
import unicodedata

# Legal-form suffixes dropped when comparing company names.
LEGAL_FORMS = frozenset({
    "inc", "incorporated", "llc", "ltd", "limited", "corp", "corporation", "co", "company",
    "gmbh", "ag", "kg", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "plc", "pty", "oy", "ab",
    "as", "aps", "kk", "kabushiki", "kaisha", "se", "lp", "llp",
})


def normalize_name(name: str) -> str:
    """``"Northwind Analytics, GmbH."`` -> ``"northwind analytics"``."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = text.replace("&", " and ")
    words = re.findall(r"[a-z0-9]+", text)
    while words and words[-1] in LEGAL_FORMS:
        words.pop()
    return " ".join(words)


def normalize_tax_id(value: str) -> str:
    """``"DE 123.456.789"`` -> ``"DE123456789"``."""
    return re.sub(r"[^A-Z0-9]", "", value.upper())


def normalize_domain(value: str) -> str | None:
    """A bare, lower-case domain from a URL, an e-mail address or a domain."""
    text = value.strip().lower()
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    text = re.sub(r"^[a-z]+://", "", text).split("/", 1)[0].split(":", 1)[0]
    text = text.removeprefix("www.")
    return text if "." in text else None


# Free-mail domains say nothing about which company a contact belongs to.
FREE_MAIL = frozenset({"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "yahoo.com",
                       "icloud.com", "aol.com", "proton.me", "protonmail.com", "gmx.de",
                       "web.de", "live.com"})


__all__ = ["FREE_MAIL", "LEGAL_FORMS", "normalize_domain", "normalize_name", "normalize_tax_id"]
