"""The web console: server-rendered pages over the same read models as the API."""

from accord.console.views import router

__all__ = ["router"]
