"""The benchmark's two mappings written by hand in plain Python: the baseline ferry's compiled mappings are
measured against (`bench.mapping_compare`). Faithful on the benchmark's records: the same output, Decimal
money rounded half up, the same nulls and omitted fields; `tests/unit/bench` holds them to that."""
