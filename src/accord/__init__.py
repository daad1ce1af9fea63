"""accord: a quote-to-cash integration hub linking CRM, subscription billing and ERP."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("accord")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+local"

__all__ = ["__version__"]
