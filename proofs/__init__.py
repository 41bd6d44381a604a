"""relu_pointwise.proofs (the folder proofs/ at the repository root, linked into src/relu_pointwise/)."""
# Imported as a top-level ``proofs`` (from the repository root) it would be a second copy of the
# package whose classes (InputError, ...) are not the installed ones: refuse that import.
if __name__ != "relu_pointwise.proofs":
    raise ImportError(f"import relu_pointwise.proofs, not {__name__}: proofs/ is part of "
                      "the relu_pointwise package "
                      "(install it, or put src/ on PYTHONPATH)")
