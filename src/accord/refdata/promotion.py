"""Promotion of reference data between environments: a bundle exported signed with the
exporting environment's Ed25519 key, and verified where it is imported.

A signed file is JSON::

    {"format": "accord.refdata.signed/1",
     "source": {"environment": "test", "version": 3, "digest": "<sha256 of the bundle>"},
     "bundle": {...the bundle document...},
     "signature": {"algorithm": "ed25519", "key_id": "<16 hex>", "value": "<base64>"}}

The signature covers the canonical JSON of ``format``, ``source`` and ``bundle`` together,
so neither the data nor the environment and version it claims to come from can change
without the signature failing. The importing environment trusts the public keys listed in
``[environments.trusted]`` (name -> key), and accepts a bundle only when the key its source
names there verifies it. Production accepts no unsigned bundle.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pydantic import BaseModel, ConfigDict, Field

from accord.refdata.bundle import RefdataBundle
from accord.refdata.versions import RefdataError
from accord.settings import Environment

FORMAT = "accord.refdata.signed/1"


class PromotionError(RefdataError):
    """A bundle this environment refuses: unsigned where a signature is required, signed by
    an environment it does not trust, by another key, or modified after it was signed."""

    code = "refdata_promotion"


class EnvironmentKeyError(RefdataError):
    """The environment key or a trusted public key is not a usable Ed25519 key."""

    code = "environment_key"


class BundleSource(BaseModel):
    """Where a signed bundle comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    environment: Environment
    version: int = Field(ge=1)
    digest: str = Field(pattern=r"^[0-9a-f]{64}$")


class BundleSignature(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    algorithm: Literal["ed25519"] = "ed25519"
    key_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    value: str


class SignedBundle(BaseModel):
    """The file ``accord refdata export --sign`` writes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["accord.refdata.signed/1"]
    source: BundleSource
    bundle: dict[str, Any]
    signature: BundleSignature


@dataclass(frozen=True)
class Promoted:
    """A bundle read from a file, with the verified source when it was signed."""

    bundle: RefdataBundle
    source: BundleSource | None = None
    key_id: str | None = None

    def audit_detail(self) -> dict[str, Any] | None:
        if self.source is None:
            return None
        return {"environment": self.source.environment.value, "version": self.source.version,
                "digest": self.source.digest, "key_id": self.key_id}


def _b64decode(text: str, what: str, length: int) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as error:
        raise EnvironmentKeyError(f"{what}: not base64 ({error})") from error
    if len(raw) != length:
        raise EnvironmentKeyError(f"{what}: an Ed25519 key is {length} bytes, this one is "
                                  f"{len(raw)}")
    return raw


def private_key(text: str) -> Ed25519PrivateKey:
    """The environment key from its base64 text (``ACCORD_ENVIRONMENT_KEY``)."""
    raw = _b64decode(text, "environment_key (ACCORD_ENVIRONMENT_KEY)", 32)
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key(text: str, what: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_b64decode(text, what, 32))


def public_text(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def key_id(key: Ed25519PublicKey) -> str:
    """A short fingerprint of a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


@dataclass(frozen=True)
class KeyPair:
    private: str
    public: str
    key_id: str


def generate() -> KeyPair:
    """A new environment key pair, as base64 text."""
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return KeyPair(base64.b64encode(raw).decode(), public_text(key.public_key()),
                   key_id(key.public_key()))


def _message(source: BundleSource, bundle: Mapping[str, Any]) -> bytes:
    body = {"format": FORMAT, "source": source.model_dump(mode="json"), "bundle": bundle}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def sign(bundle: RefdataBundle, *, environment: Environment, version: int,
         key_text: str) -> SignedBundle:
    """``bundle`` as exported from ``environment`` (its version ``version``), signed."""
    key = private_key(key_text)
    source = BundleSource(environment=environment, version=version, digest=bundle.digest())
    document = bundle.document()
    value = base64.b64encode(key.sign(_message(source, document))).decode()
    return SignedBundle(format=FORMAT, source=source, bundle=document,
                        signature=BundleSignature(key_id=key_id(key.public_key()),
                                                  value=value))


def is_signed(document: Any) -> bool:
    return isinstance(document, dict) and document.get("format") == FORMAT


def verify(signed: SignedBundle, trusted: Mapping[Environment, str]) -> Promoted:
    """The bundle of ``signed`` when the trusted key of its source environment verifies it;
    else :class:`PromotionError` saying which check failed."""
    name = signed.source.environment.value
    text = trusted.get(signed.source.environment)
    if text is None:
        raise PromotionError(
            f"signature: the bundle comes from environment {name!r}, which this environment "
            f"does not trust; add {name} = \"<its public key>\" under [environments.trusted] "
            "in accord.toml")
    expected = public_key(text, f"environments.trusted.{name}")
    if signed.signature.key_id != key_id(expected):
        raise PromotionError(
            f"signature: the bundle from {name!r} was signed with key "
            f"{signed.signature.key_id}, not with {key_id(expected)}, the key trusted for "
            f"{name} here; refused")
    try:
        value = base64.b64decode(signed.signature.value, validate=True)
        expected.verify(value, _message(signed.source, signed.bundle))
    except (InvalidSignature, binascii.Error, ValueError) as error:
        raise PromotionError(
            f"signature: the bundle from {name!r} does not match its signature (modified "
            "after it was exported); refused") from error
    bundle = RefdataBundle.model_validate(signed.bundle)
    if bundle.digest() != signed.source.digest:
        raise PromotionError(
            f"source.digest: the bundle's digest is {bundle.digest()}, its source says "
            f"{signed.source.digest}; refused")
    return Promoted(bundle, signed.source, signed.signature.key_id)


def require_signature(environment: Environment) -> None:
    """Raise when ``environment`` accepts only signed bundles (production) and one is not."""
    if environment is Environment.PRODUCTION:
        raise PromotionError(
            "signature: a production environment imports only signed bundles; export it "
            "with `accord refdata export --sign` from an environment listed under "
            "[environments.trusted]")


__all__ = ["FORMAT", "BundleSignature", "BundleSource", "EnvironmentKeyError", "KeyPair",
           "Promoted", "PromotionError", "SignedBundle", "generate", "is_signed", "key_id",
           "private_key", "public_key", "public_text", "require_signature", "sign", "verify"]
