"""The engine's checkpoints encrypted at rest.

DBOS stores each workflow's inputs, each step's output and each error in its own tables of
accord's database; they carry whole vendor payloads and canonical customers. This serializer
pickles as DBOS does by default, then seals the bytes with the current field key
(:mod:`accord.store.sealing`, AES-256-GCM). Rows written before it (``py_pickle``) are still
read by DBOS's own serializer.
"""

from __future__ import annotations

import base64
import os
import pickle
from pathlib import Path
from typing import Any

from dbos._serialization import Serializer

from accord.store.sealing import AAD, keyring

NAME = "accord_sealed_pickle"


class SealedSerializer(Serializer):
    """Pickle, then AES-256-GCM under the current field key of the database's key file
    (``path``; else the settings'): ``<key id>:<base64>``."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path

    def serialize(self, data: Any) -> str:
        ring = keyring(self.path)
        nonce = os.urandom(12)
        sealed = ring.cipher(ring.current).encrypt(nonce, pickle.dumps(data), AAD)
        return f"{ring.current}:{base64.b64encode(nonce + sealed).decode()}"

    def deserialize(self, serialized_data: str) -> Any:
        key_id, _, body = serialized_data.partition(":")
        raw = base64.b64decode(body)
        # authenticated: only bytes this deployment sealed with its key are unpickled
        opened = keyring(self.path).cipher(key_id).decrypt(raw[:12], raw[12:], AAD)
        return pickle.loads(opened)  # noqa: S301

    def name(self) -> str:
        return NAME


__all__ = ["NAME", "SealedSerializer"]
