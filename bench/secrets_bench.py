"""Throughput of scan_path and scan_logs on ~50 MB of synthetic input (run by hand, not collected).

python -m bench.secrets_bench [MB]   (from the repository root)
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from launchready.secrets import scan_logs, scan_path
from tests.secrets.fakekeys import make_keys, rnd

WORDS = ["const", "return", "function", "async", "await", "import", "user", "session", "items", "total"]


def _code_line(rng: random.Random) -> str:
    name = "".join(rng.choice(WORDS).title() for _ in range(2))
    return f"  const {name.lower()}{rng.randint(0, 999)} = await fetch('/api/{rng.choice(WORDS)}/' + id);\n"


def build_tree(root: Path, megabytes: int, rng: random.Random) -> int:
    """Source files, minified bundles and configs; one planted key per 100 files."""
    written = 0
    index = 0
    keys = list(make_keys().values())
    while written < megabytes * 1024 * 1024:
        folder = root / f"pkg{index % 20}"
        folder.mkdir(exist_ok=True)
        if index % 3 == 0:
            body = "".join(f"function f{i}(a,b){{return a*{i}+b}};" for i in range(6000))
            path = folder / f"chunk{index}.min.js"
        else:
            body = "".join(_code_line(rng) for _ in range(1500))
            path = folder / f"mod{index}.ts"
        if index % 100 == 0:
            body += f"\nconst k = '{keys[index // 100 % len(keys)]}';\n"
        path.write_text(body)
        written += len(body)
        index += 1
    return index


def build_log(path: Path, megabytes: int, rng: random.Random) -> None:
    with path.open("w") as out:
        written = 0
        n = 0
        while written < megabytes * 1024 * 1024:
            if n % 1000 == 0:
                line = (
                    f"2024-01-15T12:30:{n % 60:02d}Z INFO login user{n}@example.test "
                    f"from +1415555{n % 10000:04d}\n"
                )
            elif n % 997 == 0:
                line = f"2024-01-15T12:30:{n % 60:02d}Z DEBUG Authorization: Bearer {rnd(40)}\n"
            else:
                line = (
                    f"2024-01-15T12:30:{n % 60:02d}.{n % 1000:03d}Z INFO request_id={rng.getrandbits(48)} "
                    f"GET /api/items/{n} 200 {rng.randint(100, 9999)} took={rng.randint(1, 900)}ms\n"
                )
            out.write(line)
            written += len(line)
            n += 1


def main() -> None:
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        files = build_tree(tree, megabytes, rng)
        started = time.perf_counter()
        report = scan_path(tree)
        elapsed = time.perf_counter() - started
        mb = report.bytes_scanned / 1024 / 1024
        found = len(report.findings)
        print(f"tree: {files} files, {mb:.1f} MB, {found} findings, {elapsed:.2f} s, {mb / elapsed:.1f} MB/s")

        log = Path(tmp) / "app.log"
        build_log(log, megabytes, rng)
        started = time.perf_counter()
        logs = scan_logs(log)
        elapsed = time.perf_counter() - started
        mb = logs.bytes_scanned / 1024 / 1024
        counts = {str(kind): n for kind, n in logs.counts.items()}
        print(f"log: {mb:.1f} MB, {logs.total} hits {counts}, {elapsed:.2f} s, {mb / elapsed:.1f} MB/s")


if __name__ == "__main__":
    main()
