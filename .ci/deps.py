#!/usr/bin/env python3
"""Dependency policy: every crate's licence is on the allow-list of .ci/dependency-policy.toml,
and every crate present in two versions is listed there with its reason (and nothing else is).
Exit 1 with one line per violation; reads Cargo.lock through cargo, no network."""
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

root = Path(__file__).resolve().parent.parent
policy = tomllib.loads((root / ".ci/dependency-policy.toml").read_text())
allowed = set(policy["licenses"])


def satisfiable(expr: str) -> bool:
    """Whether an SPDX expression (AND, OR, WITH, parentheses; '/' as OR) can be met."""
    tokens = re.findall(r"\(|\)|[^\s()]+", expr.replace("/", " OR "))
    pos = 0

    def primary() -> bool:
        nonlocal pos
        if tokens[pos] == "(":
            pos += 1
            value = disjunction()
            pos += 1  # ")"
            return value
        name = tokens[pos]
        pos += 1
        if pos < len(tokens) and tokens[pos] == "WITH":
            name = f"{name} WITH {tokens[pos + 1]}"
            pos += 2
        return name in allowed

    def conjunction() -> bool:
        nonlocal pos
        value = primary()
        while pos < len(tokens) and tokens[pos] == "AND":
            pos += 1
            value = primary() and value
        return value

    def disjunction() -> bool:
        nonlocal pos
        value = conjunction()
        while pos < len(tokens) and tokens[pos] == "OR":
            pos += 1
            value = conjunction() or value
        return value

    return disjunction()


def cargo(*args: str) -> str:
    return subprocess.run(["cargo", *args], cwd=root, check=True, capture_output=True, text=True).stdout


problems = []
metadata = json.loads(cargo("metadata", "--format-version", "1", "--locked"))
workspace = set(metadata["workspace_members"])
for package in metadata["packages"]:
    if package["id"] in workspace:
        continue
    licence = package.get("license")
    if not licence:
        problems.append(f"{package['name']} {package['version']}: no SPDX licence expression")
    elif not satisfiable(licence):
        problems.append(f"{package['name']} {package['version']}: licence {licence!r} is not allowed")

tree = cargo("tree", "--duplicates", "--workspace", "--target", "all", "-e", "normal,build,dev",
             "--depth", "0", "--prefix", "none", "--locked")
# `cargo tree --duplicates` also lists one version twice when host and target builds use it
# with different features (libc for build scripts); only distinct versions count.
versions = {}
for line in tree.splitlines():
    if line.strip():
        name, version = line.split()[:2]
        versions.setdefault(name, set()).add(version)
duplicated = {name for name, seen in versions.items() if len(seen) > 1}
listed = set(policy.get("duplicates", {}))
for name in sorted(duplicated - listed):
    problems.append(f"{name}: present in several versions and not listed in .ci/dependency-policy.toml")
for name in sorted(listed - duplicated):
    problems.append(f"{name}: listed as a duplicate in .ci/dependency-policy.toml but no longer is one")

for problem in problems:
    print(f"deps: {problem}")
print(f"deps: {len(metadata['packages']) - len(workspace)} crates checked, {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
