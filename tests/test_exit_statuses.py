"""The CLI's exit statuses (README, "Exit statuses"): one line on stderr, and the status by cause."""
from __future__ import annotations

import pytest

import relu_pointwise.cli as cli
from relu_pointwise.symbolic.errors import CertificateError, EnclosureError, InputError, NotExactError
from relu_pointwise.symbolic.exprio.grammar import UndecidableError


@pytest.mark.parametrize(("exc", "status"), [
    (InputError("target: bad"), 2),
    (CertificateError("malformed certificate: x"), 2),
    (CertificateError("claim rate fails", malformed=False), 1),
    (NotExactError("L(w): no closed form below w*"), 3),
    (EnclosureError("step 7: the ball straddles w*"), 3),
    (UndecidableError("floor argument: undecidable within the limit"), 3),
    (KeyboardInterrupt(), 130),
    (cli.Terminated(), 143),
])
def test_each_cause_has_its_status_and_one_line(monkeypatch, capsys, exc, status):
    def boom(args):
        raise exc
    monkeypatch.setattr(cli, "_network_main", boom)
    assert cli.main(["network"]) == status
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("pointwise: ")
