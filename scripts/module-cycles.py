#!/usr/bin/env python3
"""Fail when modules of src/ import each other in a cycle (ARCHITECTURE.md: imports only go
down). A module is a file (`a/mod.rs` is `a`); an edge is a `crate::x::y` or `super::y` path
in code (comments and `#[cfg(test)]` parts are ignored; a path names the deepest module it
reaches). Prints each cycle found; exit 1 if any."""
import glob
import re
import sys

def module_of(path):
    m = path[len("src/"):-len(".rs")]
    if m.endswith("/mod"):
        m = m[: -len("/mod")]
    return m.replace("/", "::")

def code_of(text):
    text = text.split("#[cfg(test)]")[0]
    return "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("//"))

mods, uses = set(), {}
for f in glob.glob("src/**/*.rs", recursive=True):
    m = module_of(f)
    if m in ("main", "lib"):
        continue
    mods.add(m)
    code = code_of(open(f, encoding="utf-8").read())
    parent = m.rsplit("::", 1)[0] if "::" in m else ""
    paths = set(re.findall(r"\bcrate::([a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)*)", code))
    for p in re.findall(r"\bsuper::([a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)*)", code):
        paths.add(f"{parent}::{p}" if parent else p)
    uses[m] = paths

def resolve(path):
    parts = path.split("::")
    for k in range(len(parts), 0, -1):
        cand = "::".join(parts[:k])
        if cand in mods:
            return cand
    return None

edges = {m: {r for r in map(resolve, ps) if r and r != m} for m, ps in uses.items()}
index, low, stack, on, cycles, n = {}, {}, [], set(), [], [0]
sys.setrecursionlimit(100000)

def visit(v):
    index[v] = low[v] = n[0]
    n[0] += 1
    stack.append(v)
    on.add(v)
    for w in sorted(edges.get(v, ())):
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            cycles.append(sorted(comp))

for v in sorted(edges):
    if v not in index:
        visit(v)
for c in cycles:
    print("import cycle between modules:", ", ".join(c))
print(f"{len(mods)} modules, {sum(map(len, edges.values()))} imports, {len(cycles)} cycles")
sys.exit(1 if cycles else 0)
