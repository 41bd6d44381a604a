"""relu_pointwise.numeric (the folder numeric/ at the repository root, linked into src/relu_pointwise/)."""
# Imported as a top-level ``numeric`` (from the repository root) it would be a second copy of the
# package whose classes (InputError, ...) are not the installed ones: refuse that import.
if __name__ != "relu_pointwise.numeric":
    raise ImportError(f"import relu_pointwise.numeric, not {__name__}: numeric/ is part of "
                      "the relu_pointwise package "
                      "(install it, or put src/ on PYTHONPATH)")
