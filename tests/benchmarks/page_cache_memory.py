"""Memory of the families' page cache (issue 13): every page of every locale built once, then the
cache filled to its default size (2,000 addresses: 20 locales x 100 pages) with bodies of the real
pages' sizes; prints the bytes held and the worker's resident memory before and after.

Not collected by pytest. From the repository root:

    .venv/bin/python tests/benchmarks/page_cache_memory.py
"""
from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    from portal.locales import LOCALES
    from tests.conftest import make_app

    app = make_app(Path(tempfile.mkdtemp()), ROOT / "translations")
    client = app.test_client()
    addresses = [f"/{loc.tag}/" for loc in LOCALES] + [f"/{loc.tag}/{slug}" for loc in LOCALES
                                                        for slug in app.extensions["content"]]
    before = rss_mib()
    for address in addresses:
        assert client.get(address).status_code == 200, address
    cache = app.extensions["pages"]
    sizes = [len(body) for _, body in cache._pages.values()]
    after_site = rss_mib()
    bodies = list(cache._pages.values())
    for index in range(cache.size):
        tag, body = bodies[index % len(bodies)]
        cache.put(f"/synthetic/{index}", tag, bytes(bytearray(body)))  # a copy: its own memory, as a real page
    full = rss_mib()
    print(f"this site: {len(addresses)} addresses, page bodies median {statistics.median(sizes) / 1024:.1f} KiB, "
          f"max {max(sizes) / 1024:.1f} KiB, {sum(sizes) / 1024:.0f} KiB in all")
    print(f"resident memory: {before:.0f} MiB before building, {after_site:.0f} MiB with this site cached, "
          f"{full:.0f} MiB with the cache full ({len(cache)} addresses, {cache.bytes() / 2**20:.1f} MiB of bodies)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
