"""`make test`'s dependency audit: every locked package against PyPI's vulnerability data.

pip-audit reports a package it could not look up as skipped, not as a failure. This step fails
on any known vulnerability; where the vulnerability service cannot be reached at all (a machine
whose package mirror serves packages but not PyPI's JSON API), every package is skipped, and
the step says so loudly, naming what was not audited, rather than passing in silence or failing
a build that has nothing wrong with it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def audit(requirements: Path, pip_audit: Path) -> int:
    completed = subprocess.run(
        [
            str(pip_audit),
            "--disable-pip",
            "--require-hashes",
            "--progress-spinner",
            "off",
            "--format",
            "json",
            "--requirement",
            str(requirements),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        print(completed.stdout + completed.stderr, file=sys.stderr)
        print("pip-audit did not run: see above.", file=sys.stderr)
        return 1
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    for dependency in vulnerable:
        for vulnerability in dependency["vulns"]:
            fixed = ", ".join(vulnerability.get("fix_versions", [])) or "no fixed version yet"
            print(
                f"VULNERABLE: {dependency['name']} {dependency['version']}: "
                f"{vulnerability['id']} (fixed in {fixed})",
                file=sys.stderr,
            )
    if vulnerable:
        return 1
    audited = len(dependencies) - len(skipped)
    if skipped and not audited:
        print(
            f"WARNING: pip-audit could not reach PyPI's vulnerability data from this machine: "
            f"none of the {len(skipped)} locked packages was audited "
            f"({skipped[0]['skip_reason']}). Run `make audit-dependencies` where PyPI's JSON "
            "API is reachable.",
            file=sys.stderr,
        )
        return 0
    for dependency in skipped:
        print(f"not audited: {dependency['skip_reason']}", file=sys.stderr)
    print(f"pip-audit: {audited} locked packages audited, no known vulnerabilities.")
    return 0


if __name__ == "__main__":
    sys.exit(audit(Path(sys.argv[1]), Path(sys.argv[2])))
