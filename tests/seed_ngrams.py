"""Hashed 10-word runs of the seed documents, so the no-copying test runs from a clean clone.

`python -m tests.seed_ngrams` rebuilds tests/data/seed_10grams.txt from ../shared/seeds.
The file holds SHA-1 hashes, not the seeds' text.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

N = 10
ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
HASHES = Path(__file__).parent / "data" / "seed_10grams.txt"


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def ngram_hashes(text: str, n: int = N) -> set[str]:
    tokens = words(text)
    return {hashlib.sha1(" ".join(tokens[i:i + n]).encode()).hexdigest()
            for i in range(len(tokens) - n + 1)}


def seed_hashes_from_seeds() -> set[str]:
    found: set[str] = set()
    for path in sorted(SEEDS.glob("*.txt")):
        found |= ngram_hashes(path.read_text(encoding="utf-8"))
    return found


if __name__ == "__main__":
    hashes = seed_hashes_from_seeds()
    HASHES.write_text("\n".join(sorted(hashes)) + "\n")
    print(f"{len(hashes)} hashes written to {HASHES}")
