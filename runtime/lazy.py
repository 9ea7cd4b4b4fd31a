"""Packages whose public names are imported on first use (PEP 562), for fast cold starts."""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Mapping
from typing import Any


class LazyPackage(types.ModuleType):
    """A package that imports the module defining a public name when that name is first read.

    Several public names are also submodule names (`scope` the function in `scope.py`, `route`
    in `route.py`): importing such a submodule binds it on the package, which would hide the
    function, so that binding is skipped and the name keeps meaning the function, as when the
    package imported everything up front.
    """

    def __getattr__(self, name: str) -> Any:
        module = self.__dict__["_MODULE_OF"].get(name)
        if module is None:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", self.__name__), name)
        self.__dict__[name] = value  # later reads are plain attribute lookups
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        is_submodule = isinstance(value, types.ModuleType) and (
            value.__name__ == f"{self.__name__}.{name}"
        )
        if is_submodule and name in self.__dict__["_MODULE_OF"]:
            return
        super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted({*self.__dict__, *self.__dict__["__all__"]})


def make_lazy(package: str, module_of: Mapping[str, str]) -> None:
    """Turn `package` (already in sys.modules) into a LazyPackage serving `module_of`'s names."""
    module = sys.modules[package]
    module.__dict__["_MODULE_OF"] = module_of
    module.__class__ = LazyPackage
