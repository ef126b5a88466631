#!/usr/bin/env python3
"""Where a .wasm module's bytes go: per-function code size by name, plus section totals.

    python3 scripts/wasm-sizes.py MODULE.wasm [N] [--group] [--forbid REGEX]

MODULE must keep its name section (wasm-bindgen --keep-debug, wasm-opt -g). --group sums the
functions by their Rust path prefix (crate::module), which is what a size plan needs.
--forbid exits 1 naming every function whose (mangled) name matches REGEX: how a build keeps
e.g. `core::fmt` out (`9Formatter|3fmt5write`).
Reads the binary format directly so no twiggy/wabt is needed.
"""
import re
import sys
from collections import defaultdict


def leb(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def name(b, i):
    n, i = leb(b, i)
    return b[i:i + n].decode("utf-8", "replace"), i + n


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 40
    group = "--group" in sys.argv
    forbid = sys.argv[sys.argv.index("--forbid") + 1] if "--forbid" in sys.argv else None
    b = open(path, "rb").read()
    i = 8
    sections = []
    imports = 0
    bodies = []
    names = {}
    while i < len(b):
        sid = b[i]
        size, j = leb(b, i + 1)
        end = j + size
        label = str(sid)
        if sid == 0:
            label, k = name(b, j)
            if label == "name":
                while k < end:
                    sub = b[k]
                    ssize, k2 = leb(b, k + 1)
                    if sub == 1:
                        cnt, q = leb(b, k2)
                        for _ in range(cnt):
                            idx, q = leb(b, q)
                            nm, q = name(b, q)
                            names[idx] = nm
                    k = k2 + ssize
        elif sid == 2:
            cnt, k = leb(b, j)
            for _ in range(cnt):
                _, k = name(b, k)
                _, k = name(b, k)
                kind = b[k]
                k += 1
                if kind == 0:
                    imports += 1
                    _, k = leb(b, k)
                elif kind == 1:
                    k += 1
                    fl = b[k]; k += 1
                    _, k = leb(b, k)
                    if fl & 1:
                        _, k = leb(b, k)
                elif kind == 2:
                    fl = b[k]; k += 1
                    _, k = leb(b, k)
                    if fl & 1:
                        _, k = leb(b, k)
                elif kind == 3:
                    k += 2
        elif sid == 10:
            cnt, k = leb(b, j)
            for n in range(cnt):
                bs, k2 = leb(b, k)
                bodies.append((imports + n, bs + (k2 - k)))
                k = k2 + bs
        sections.append((label, size))
        i = end
    print("sections:", ", ".join(f"{l}={s}" for l, s in sections))
    print(f"functions: {len(bodies)}, imports: {imports}, code bytes: {sum(s for _, s in bodies)}")
    rows = [(s, names.get(idx, f"func[{idx}]")) for idx, s in bodies]
    if forbid:
        found = [nm for _, nm in rows if re.search(forbid, nm)]
        for nm in found:
            print(f"forbidden: {nm}")
        if found:
            sys.exit(1)
    if group:
        acc = defaultdict(int)
        for s, nm in rows:
            acc[key(nm)] += s
        rows = [(s, k) for k, s in acc.items()]
    rows.sort(reverse=True)
    for s, nm in rows[:top]:
        print(f"{s:8d}  {nm[:150]}")


def key(nm):
    """A Rust symbol's crate::module (and the type of an impl), else the name itself."""
    nm = re.sub(r"::h[0-9a-f]{16}$", "", nm)
    nm = nm.lstrip("<")
    parts = re.split(r"::|<| as ", nm)
    parts = [p for p in parts if p and not p.startswith("{")]
    if parts and parts[0] in ("core", "alloc", "std"):
        return "::".join(parts[:2])
    return "::".join(parts[:3]) if parts else nm


if __name__ == "__main__":
    main()
