"""The operations API (FastAPI): health, metrics, timeline, customer 360, exceptions."""

from accord.api.app import create_app

__all__ = ["create_app"]
