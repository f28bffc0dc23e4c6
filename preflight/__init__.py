"""preflight: lint, check, pace and track outbound email.

The library can be used without the CLI::

    from preflight import lint_paths
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
