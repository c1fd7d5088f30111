from __future__ import annotations

import pytest

from ferry.sandboxes import REGISTRY, sandbox_class
from ferry.sandboxes.kit import Sandbox


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_registered_sandbox_loads_under_its_own_name(name: str) -> None:
    cls = sandbox_class(name)
    assert issubclass(cls, Sandbox)
    assert cls.name == name
    assert cls.generatable


def test_default_ports_do_not_clash() -> None:
    ports = [sandbox_class(n).default_port for n in REGISTRY]
    assert len(set(ports)) == len(ports)
