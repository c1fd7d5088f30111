import ferry.mapping


def test_the_public_api_is_exported() -> None:
    assert set(ferry.mapping.__all__) >= {"load", "compile_mapping", "check", "functions", "Mapping", "FunctionInfo"}
    for name in ferry.mapping.__all__:
        assert getattr(ferry.mapping, name) is not None


def test_exported_names_are_sorted() -> None:
    assert list(ferry.mapping.__all__) == sorted(ferry.mapping.__all__)


def test_functions_stays_a_function_once_the_library_is_imported() -> None:
    import ferry.mapping.library.text

    assert callable(ferry.mapping.functions)
    assert "trim" in ferry.mapping.functions()
