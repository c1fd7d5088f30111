"""The functions of the mapping language, one small module per function or family.

Each module registers its functions with `ferry.mapping.registry.function` (or `special_form`) when it
is imported; `ferry.mapping.registry` imports every module here. To add a function, add a module.
"""
