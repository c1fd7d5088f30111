"""The mapping language: YAML files that turn one source record into one target payload.

    mapping = load(Path("mappings/account-to-customer.yaml"), source_fields=account_fields)
    payload = mapping.apply(account, context={"source_id": account["accountid"]}, creating=True)

`load` and `compile_mapping` check everything that can be checked without a record and raise
`ProblemsError` listing each problem with its file, line and column; `apply` raises `ValidationError`
naming each target field it could not map. The language is described in docs/mapping.md.
"""

from ferry.mapping.loader import check, compile_mapping, load
from ferry.mapping.mapping import Mapping
from ferry.mapping.registry import Example, FunctionInfo, functions
from ferry.mapping.spec import CONTEXT, ContextValue, MappingSpec

__all__ = [
    "CONTEXT",
    "ContextValue",
    "Example",
    "FunctionInfo",
    "Mapping",
    "MappingSpec",
    "check",
    "compile_mapping",
    "functions",
    "load",
]
