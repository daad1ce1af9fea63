"""Personal data encrypted at rest, field by field (AES-256-GCM, ``cryptography``).

Which fields: those :func:`accord.canonical.privacy.sealed_at_rest` names (personal data,
secrets, a company's identifying names, free text that may quote them), at any depth of a
JSON column; whole values of free-text columns. A sealed value is the text
``enc:v1:<key id>:<base64 of nonce + ciphertext + tag>`` standing where the value was; it is
opened again on read, so the code above the store never sees a sealed value. Matching keys
(normalised names, tax ids, domains) are kept as keyed HMAC-SHA256 digests: equal inputs
still find each other, but the table holds no name.

Keys live in one JSON file (``key_file`` in the settings, a mounted secret in production;
else ``keys/field-keys.json`` beside a SQLite database, so every process opening the file
finds its key, or under ``data_dir`` for PostgreSQL; created with mode 0600 on first use)::

    {"current": "k1", "keys": {"k1": "<base64 32 bytes>", ...}, "index": "<base64>"}

``accord keys rotate`` adds a key, makes it current and seals every stored value again with
it; older keys stay in the file to open what the engine checkpointed with them. The index
key is never rotated (the digests could not be recomputed from themselves).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import JSON, Engine, String, Text, TypeDecorator
from sqlalchemy.engine import URL, Dialect, make_url

from accord.canonical.privacy import sealed_at_rest

if TYPE_CHECKING:
    from accord.settings import AccordSettings

PREFIX = "enc:v1:"
INDEX_PREFIX = "hm:"
AAD = b"accord.field.v1"


class KeyMissing(RuntimeError):
    """A sealed value names a key the key file does not hold."""


@dataclass
class KeyRing:
    current: str
    keys: dict[str, bytes]
    index: bytes
    path: Path | None = None
    _ciphers: dict[str, AESGCM] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:  # never print key material
        return f"KeyRing(current={self.current!r}, keys={sorted(self.keys)}, path={self.path})"

    @classmethod
    def generate(cls, path: Path | None = None) -> KeyRing:
        return cls(current=_key_id(), keys={}, index=AESGCM.generate_key(bit_length=256),
                   path=path).with_new_key()

    def with_new_key(self) -> KeyRing:
        key_id = _key_id()
        while key_id in self.keys:
            key_id = _key_id()
        self.keys[key_id] = AESGCM.generate_key(bit_length=256)
        self.current = key_id
        return self

    def cipher(self, key_id: str) -> AESGCM:
        if key_id not in self._ciphers:
            if key_id not in self.keys:
                raise KeyMissing(f"field key {key_id!r} is not in the key file "
                                 f"{self.path or ''}; restore it from the backup")
            self._ciphers[key_id] = AESGCM(self.keys[key_id])
        return self._ciphers[key_id]

    def seal(self, value: Any) -> str:
        data = json.dumps(value, default=str, ensure_ascii=False).encode()
        nonce = os.urandom(12)
        sealed = self.cipher(self.current).encrypt(nonce, data, AAD)
        return f"{PREFIX}{self.current}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, text: str) -> Any:
        key_id, _, body = text[len(PREFIX):].partition(":")
        raw = base64.b64decode(body)
        return json.loads(self.cipher(key_id).decrypt(raw[:12], raw[12:], AAD))

    def key_of(self, text: str) -> str:
        return text[len(PREFIX):].partition(":")[0]

    def blind(self, value: str) -> str:
        digest = hmac.new(self.index, value.encode(), hashlib.sha256).hexdigest()
        return f"{INDEX_PREFIX}{digest}"

    def to_json(self) -> str:
        return json.dumps({"current": self.current, "index": _b64(self.index),
                           "keys": {kid: _b64(key) for kid, key in self.keys.items()}},
                          indent=2)

    @classmethod
    def from_json(cls, text: str, path: Path | None = None) -> KeyRing:
        data = json.loads(text)
        return cls(current=data["current"], index=base64.b64decode(data["index"]),
                   keys={kid: base64.b64decode(key) for kid, key in data["keys"].items()},
                   path=path)

    def save(self) -> None:
        if self.path is None:
            raise ValueError("key_file: this key ring has no file")
        write_private(self.path, self.to_json())


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _key_id() -> str:
    return f"k{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"


def write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by its owner only (0600) in a folder only the owner may
    enter (0700), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


def create_exclusive(path: Path, text: str) -> None:
    """Create ``path`` (0600) unless it exists: of processes starting together (a server
    and its workers), the first one's key wins and the others read it."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    write_private(temporary, text)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink(missing_ok=True)


_rings: dict[Path, KeyRing] = {}
_lock = threading.Lock()
_by_dialect: WeakKeyDictionary[Dialect, Path] = WeakKeyDictionary()


def key_file_for(url: str | URL, settings: AccordSettings | None = None) -> Path:
    """The key file of the database at ``url``: the settings' ``key_file`` if set, else
    ``keys/field-keys.json`` beside a SQLite file, else under the settings' ``data_dir``."""
    from accord.settings import load_settings

    chosen = settings or load_settings()
    if chosen.key_file is not None:
        return chosen.key_file.resolve()
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return (Path(parsed.database or "").parent / "keys" / "field-keys.json").resolve()
    return chosen.effective_key_file.resolve()


def bind_keys(engine: Engine, url: str | URL) -> None:
    """Seal and open the values of ``engine``'s database with the key file of ``url``."""
    _by_dialect[engine.dialect] = key_file_for(url)


def key_file() -> Path:
    """The key file the settings name for their database."""
    from accord.settings import load_settings

    settings = load_settings()
    return key_file_for(settings.effective_database_url, settings)


def keyring_for(dialect: Dialect) -> KeyRing:
    """The key ring of the database a dialect (one per engine) talks to."""
    path = _by_dialect.get(dialect)
    return keyring(path)


def keyring(path: Path | None = None) -> KeyRing:
    """The key ring of ``path`` (else of the settings), created on first use."""
    given = path or _current_path()
    cached = _rings.get(given)  # paths from bind_keys and the settings are resolved already
    if cached is not None:
        return cached
    target = given.resolve()
    with _lock:
        ring = _rings.get(target)
        if ring is None:
            if not target.exists():
                create_exclusive(target, KeyRing.generate(target).to_json())
            ring = KeyRing.from_json(target.read_text(encoding="utf-8"), target)
            _rings[target] = ring
        return ring


def forget(path: Path) -> None:
    """Drop the cached ring of ``path`` (after the file changed: ``accord keys rotate``)."""
    with _lock:
        _rings.pop(path.resolve(), None)


_memo: dict[tuple[str | None, ...], Path] = {}


def _current_path() -> Path:
    """The settings' key file, looked up again only when what decides it changes (the
    environment variables and working directory), not on every value."""
    marker = (os.environ.get("ACCORD_KEY_FILE"), os.environ.get("ACCORD_DATA_DIR"),
              os.environ.get("ACCORD_CONFIG"), os.environ.get("ACCORD_SECRETS_DIR"),
              os.getcwd())
    found = _memo.get(marker)
    if found is None:
        found = _memo[marker] = key_file()
    return found


def seal_fields(value: Any, ring: KeyRing, *, sealed: bool = False) -> Any:
    """``value`` with the fields :func:`sealed_at_rest` names encrypted, at any depth."""
    if sealed:
        return value if isinstance(value, str) and value.startswith(PREFIX) else \
            ring.seal(value)
    if isinstance(value, dict):
        return {key: seal_fields(item, ring, sealed=sealed_at_rest(str(key)))
                for key, item in value.items()}
    if isinstance(value, list):
        return [seal_fields(item, ring) for item in value]
    return value


def open_fields(value: Any, ring: KeyRing) -> Any:
    """``value`` with every sealed value opened."""
    if isinstance(value, str):
        return ring.open(value) if value.startswith(PREFIX) else value
    if isinstance(value, dict):
        return {key: open_fields(item, ring) for key, item in value.items()}
    if isinstance(value, list):
        return [open_fields(item, ring) for item in value]
    return value


class SealedJSON(TypeDecorator[Any]):
    """A JSON column whose personal fields are encrypted at rest."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else seal_fields(value, keyring_for(dialect))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else open_fields(value, keyring_for(dialect))


class SealedText(TypeDecorator[str]):
    """A free-text column encrypted whole at rest."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value.startswith(PREFIX):
            return value
        return keyring_for(dialect).seal(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or not value.startswith(PREFIX):
            return value
        return str(keyring_for(dialect).open(value))


class BlindIndex(TypeDecorator[str]):
    """A matching key kept as a keyed digest: compared for equality, never read back."""

    impl = String(255)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value.startswith(INDEX_PREFIX):
            return value
        return keyring_for(dialect).blind(value)


__all__ = ["AAD", "PREFIX", "BlindIndex", "KeyMissing", "KeyRing", "SealedJSON",
           "SealedText", "bind_keys", "forget", "key_file", "key_file_for", "keyring",
           "keyring_for", "open_fields", "seal_fields", "write_private"]
