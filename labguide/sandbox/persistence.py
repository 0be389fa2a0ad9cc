"""Keeping the sandbox's world on disk, so that it outlives its process.

The whole state is one pickle: every moto backend in use (in one object
graph, so that the references between services, such as an Auto Scaling
group's instances in EC2, stay shared), the lab world, the sandbox's own
ledger (Run Command, backup jobs, CloudTrail history) and the fault
settings. It is written atomically (a temporary file, then a rename) and
read back into moto's module-level backends at start.
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
from collections import defaultdict
from functools import partial
from pathlib import Path
from types import GeneratorType
from typing import Any, BinaryIO

log = logging.getLogger(__name__)

FORMAT = 1
FILE_NAME = "world.pickle"


def _instances(cls: Any) -> list[Any]:
    """moto's registry of the BackendDicts in use (a class attribute)."""
    registry: list[Any] = cls._instances
    return registry


def _key(backend_dict: Any) -> tuple[str, str, str]:
    cls = backend_dict.backend
    return cls.__module__, cls.__qualname__, backend_dict.service_name


def _singleton(key: tuple[str, str, str]) -> Any | None:
    """moto's own BackendDict for a key, the object its code looks up."""
    from moto.core.base_backend import BackendDict

    module_name, class_name, service = key
    module = importlib.import_module(module_name)
    candidates = [importlib.import_module(module_name.rsplit(".", 1)[0]), module]
    for holder in candidates:
        for value in vars(holder).values():
            if (
                isinstance(value, BackendDict)
                and value.service_name == service
                and value.backend.__qualname__ == class_name
            ):
                return value
    return None


def _new_defaultdict(cls: type, factory: Any) -> Any:
    """An empty `defaultdict` subclass, made without its own `__init__`."""
    made = cls.__new__(cls)  # type: ignore[call-overload]
    defaultdict.__init__(made, factory)
    return made


def _new_rsa_key(key_size: int) -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


def _new_ec_key(curve: type) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(curve())


def _private_key(obj: Any) -> Any:
    """How to remake a private key moto made up (KMS keys hold one, even the
    default EBS key EC2 creates): a new key of the same kind. Its bytes are
    not written (a sandbox's file holds no key material), and nothing in the
    lab signs with it. NotImplemented for anything else."""
    if not type(obj).__module__.startswith("cryptography."):
        return NotImplemented
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if isinstance(obj, rsa.RSAPrivateKey):
        return (_new_rsa_key, (obj.key_size,))
    if isinstance(obj, ec.EllipticCurvePrivateKey):
        return (_new_ec_key, (type(obj.curve),))
    return NotImplemented


def _spent() -> Any:
    return iter(())


def _open_listings(obj: Any) -> Any:
    """How to save a backend that keeps the listings it is paging through
    (moto's tagging API keeps a live generator per pagination token): without
    them, so their tokens expire with the restart, as AWS's expire after a
    while. NotImplemented for anything else."""
    if isinstance(obj, GeneratorType):
        # Any other paging moto keeps: it ends where the restart came.
        return (_spent, ())
    if not type(obj).__module__.startswith("moto."):
        return NotImplemented
    pages = getattr(obj, "_pages", None)
    if not isinstance(pages, dict) or not pages:
        return NotImplemented
    constructor, arguments, state, *rest = obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
    return (constructor, arguments, {**state, "_pages": {}}, *rest)


class _Pickler(pickle.Pickler):
    """Pickles moto's objects: a few `defaultdict(lambda: ...)` fields (their
    factory becomes an equivalent `partial`), `defaultdict` subclasses with
    their own constructor, the private keys of KMS keys and the listings the
    tagging API is paging through, which a plain pickler cannot."""

    def __init__(self, handle: BinaryIO) -> None:
        super().__init__(handle, protocol=pickle.HIGHEST_PROTOCOL)

    def reducer_override(self, obj: Any) -> Any:
        for special in (_private_key, _open_listings):
            reduced = special(obj)
            if reduced is not NotImplemented:
                return reduced
        if (
            type(obj) is defaultdict
            and getattr(obj.default_factory, "__name__", "") == "<lambda>"
        ):
            sample = obj.default_factory()  # type: ignore[misc]
            factory: Any = None
            if type(sample) is defaultdict:
                factory = partial(defaultdict, sample.default_factory)
            elif isinstance(sample, dict | list | set):
                factory = type(sample)
            return (defaultdict, (factory,), None, None, iter(obj.items()))
        if isinstance(obj, defaultdict) and type(obj) is not defaultdict:
            # moto's ParameterDict takes other arguments than defaultdict's.
            state = dict(vars(obj))
            return (
                _new_defaultdict,
                (type(obj), obj.default_factory),
                state,
                None,
                iter(obj.items()),
            )
        return NotImplemented


def save(path: Path, extra: dict[str, Any]) -> None:
    """Writes moto's backends and `extra` to `path`, atomically."""
    from moto.core.base_backend import BackendDict
    from moto.moto_api._internal import mock_random

    payload = {
        "format": FORMAT,
        "backends": {_key(bd): dict(bd) for bd in _instances(BackendDict)},
        "random": mock_random.getstate(),
        **extra,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    try:
        with temporary.open("wb") as handle:
            _Pickler(handle).dump(payload)
        os.replace(temporary, path)
    except BaseException:
        # The last good save stays as it was.
        temporary.unlink(missing_ok=True)
        raise


def load(path: Path) -> dict[str, Any] | None:
    """Reads a saved state back into moto's backends; returns the extras, or
    None when there is nothing (or nothing readable) to restore."""
    from moto.core.base_backend import BackendDict
    from moto.moto_api._internal import mock_random

    if not path.is_file():
        return None
    try:
        with path.open("rb") as handle:
            payload = pickle.load(handle)  # noqa: S301 - our own file, in our own dir
    except Exception:  # noqa: BLE001 - a damaged file means a fresh sandbox
        log.exception("cannot read the saved sandbox %s; starting afresh", path)
        return None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        return None
    for key, accounts in payload.pop("backends").items():
        singleton = _singleton(key)
        if singleton is None:
            log.warning("moto has no backend %s any more; dropped", key)
            continue
        dict.clear(singleton)
        dict.update(singleton, accounts)
        if singleton not in _instances(BackendDict):
            _instances(BackendDict).append(singleton)
    mock_random.setstate(payload.pop("random"))
    return payload
