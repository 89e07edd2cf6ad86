"""wellled: Well-led governance reports for care homes from a provider's own survey and audit data."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("wellled")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
