"""The dependency audit fails on a known vulnerability and never passes in silence."""

import json
import stat

from devtools.audit_dependencies import audit


def fake_pip_audit(tmp_path, report):
    script = tmp_path / "pip-audit"
    script.write_text(f"#!/bin/sh\ncat <<'JSON'\n{json.dumps(report)}\nJSON\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_a_known_vulnerability_fails_the_build(tmp_path, capsys):
    report = {
        "dependencies": [
            {"name": "flask", "version": "3.1.0", "vulns": []},
            {
                "name": "jinja2",
                "version": "3.0.0",
                "vulns": [{"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"]}],
            },
        ]
    }
    assert audit(tmp_path / "requirements.txt", fake_pip_audit(tmp_path, report)) == 1
    assert "VULNERABLE: jinja2 3.0.0: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)" in (
        capsys.readouterr().err
    )


def test_nothing_audited_says_so_out_loud(tmp_path, capsys):
    report = {
        "dependencies": [
            {"name": "flask", "skip_reason": "Dependency not found on PyPI: flask (3.1.0)"}
        ]
    }
    assert audit(tmp_path / "requirements.txt", fake_pip_audit(tmp_path, report)) == 0
    assert "none of the 1 locked packages was audited" in capsys.readouterr().err


def test_a_clean_audit_counts_what_it_audited(tmp_path, capsys):
    report = {"dependencies": [{"name": "flask", "version": "3.1.0", "vulns": []}]}
    assert audit(tmp_path / "requirements.txt", fake_pip_audit(tmp_path, report)) == 0
    assert "1 locked packages audited, no known vulnerabilities" in capsys.readouterr().out
