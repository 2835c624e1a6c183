"""A module that imports a package that is not installed."""

from __future__ import annotations

import plait_test_package_that_is_not_installed  # type: ignore[import-not-found]  # noqa: F401
