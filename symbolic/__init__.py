"""relu_pointwise.symbolic (the folder symbolic/ at the repository root, linked into src/relu_pointwise/)."""
# Imported as a top-level ``symbolic`` (from the repository root) it would be a second copy of the
# package whose classes (InputError, ...) are not the installed ones: refuse that import.
if __name__ != "relu_pointwise.symbolic":
    raise ImportError(f"import relu_pointwise.symbolic, not {__name__}: symbolic/ is part of "
                      "the relu_pointwise package "
                      "(install it, or put src/ on PYTHONPATH)")
