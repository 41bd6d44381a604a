"""The certificate's vocabulary is the published schema (issue 18, section 3).

Every claim-data key written as a literal in the prover (proofs/lemmas, proofs/certificate.py,
proofs/report_page.py), the checker (proofs/check), the CLI and the sweeps must be a field the
schema defines (``proofs.check.vocabulary``, read from the schema), or a prover-only field the
writer drops before publishing (``proofs.certificate.UNPUBLISHED``).  Keys are found with
``ast``: subscripts and ``.get`` on the names that hold claim data, the field tuples of the
checker's ``fields(d, (...))``, and the dict literals the prover builds its data from.
"""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from relu_pointwise.proofs.certificate import UNPUBLISHED
from relu_pointwise.proofs.check import vocabulary as V

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "relu_pointwise"
# the files that read or write claim data, each with the variable names that hold a claim's data there
PROOF_NAMES = frozenset({"d", "data", "g", "r", "claim_data"})
FILES = {**{f: PROOF_NAMES for f in (*sorted((PACKAGE / "proofs" / "lemmas").glob("*.py")),
                                     *sorted((PACKAGE / "proofs" / "check").glob("*.py")),
                                     PACKAGE / "proofs" / "certificate.py", PACKAGE / "proofs" / "report_page.py")},
         PACKAGE / "cli" / "certify.py": frozenset({"d"}),
         PACKAGE / "sweeps" / "tasks.py": frozenset({"d", "asym", "growth", "entry", "path"})}


def _str_keys(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Dict):
        return [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
    if isinstance(node, (ast.Tuple, ast.List)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def data_keys(tree: ast.AST, names: frozenset[str] = PROOF_NAMES) -> list[tuple[int, str]]:
    """(line, key) of every claim-data key literal in ``tree`` (``names``: the variables holding data)."""
    def _is_data(node: ast.AST) -> bool:
        return isinstance(node, ast.Name) and node.id in names

    out: list[tuple[int, str]] = []
    for n in ast.walk(tree):
        keys: list[str] = []
        if isinstance(n, ast.Subscript) and _is_data(n.value) and isinstance(n.slice, ast.Constant) \
                and isinstance(n.slice.value, str):
            keys = [n.slice.value]
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and _is_data(n.func.value) \
                and n.func.attr in ("get", "update") and n.args:
            a = n.args[0]
            keys = [a.value] if isinstance(a, ast.Constant) and isinstance(a.value, str) else _str_keys(a)
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "fields" and len(n.args) > 1:
            keys = _str_keys(n.args[1])
        elif isinstance(n, ast.Assign) and any(_is_data(t) for t in n.targets):
            keys = _str_keys(n.value) if isinstance(n.value, ast.Dict) else []
        out += [(n.lineno, k) for k in keys]
    return out


def test_the_vocabulary_reads_the_schema():
    assert {"construction", "growth", "rate", "pointwise", "dataset_stall"} <= V.claim_ids()
    assert "3_eta_c" in V.data_fields("growth") and "3_eta_c" in V.data_fields("rate")
    assert "T_hi" in V.data_fields("pointwise:x=1/4") and "T_hi" not in V.data_fields("growth")
    assert V.data_fields("growth") <= V.data_fields() <= V.schema_field_names()
    with pytest.raises(KeyError):
        V.data_fields("no_such_claim")


def test_the_scan_finds_the_known_keys():
    found = {k for f, names in FILES.items() for _, k in data_keys(ast.parse(f.read_text(encoding="utf-8")), names)}
    assert {"3_eta_c", "Cbar", "w_star", "T_hi", "w_n_lo"} <= found
    assert data_keys(ast.parse('d["bogus"]; data.update({"x_y": 1}); fields(d, ("a",))')) == \
        [(1, "bogus"), (1, "x_y"), (1, "a")]


@pytest.mark.parametrize("path", sorted(FILES), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_every_data_key_literal_is_a_schema_field(path):
    allowed = V.schema_field_names() | {k for ks in UNPUBLISHED.values() for k in ks}
    bad = [(line, k) for line, k in data_keys(ast.parse(path.read_text(encoding="utf-8")), FILES[path])
           if k not in allowed]
    assert not bad, f"{path.name}: keys the schema does not define: {bad}"


def test_a_certificate_where_growth_is_not_derived_is_well_formed():
    """ball:d=1,R=1/2: the density of |g| is unbounded on the window, so the growth claim derives
    no constants; its prover-only fields (regime, rho_0, rho_u_star) are not published, so the
    checker reads the certificate (before the fix: 'malformed certificate', additional properties)."""
    from relu_pointwise.proofs.certificate import build
    from relu_pointwise.proofs.check import check_certificate
    from relu_pointwise.symbolic.spec import make_spec, make_training

    cert = build(make_spec("ball:d=1,R=1/2"), make_training()).cert
    growth = next(c for c in cert["claims"] if c["id"] == "growth")
    assert set(growth["data"]) <= V.data_fields("growth")
    check_certificate(json.loads(json.dumps(cert)))    # raises CertificateError when malformed
