"""Where the portal's files live: what ships with the code (content, the template, the
repository's catalogs) and the instance folder. Built from the app's config."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paths:
    root: Path
    content_dir: Path
    translations_dir: Path
    published_dir: Path  # this host's local copy of what was published (never shared, never the truth)
    mapping_file: Path

    @classmethod
    def from_config(cls, config) -> "Paths":
        return cls(root=Path(config["PROJECT_ROOT"]), content_dir=Path(config["CONTENT_DIR"]),
                   translations_dir=Path(config["TRANSLATIONS_DIR"]),
                   published_dir=Path(config["PUBLISHED_DIR"]), mapping_file=Path(config["BABEL_CFG"]))

    @property
    def template(self) -> Path:
        return Path(self.translations_dir) / "messages.pot"

    def po(self, locale: str) -> Path:
        """The repository's catalog of a locale (what `flask translate export` writes)."""
        return Path(self.translations_dir) / locale / "LC_MESSAGES" / "messages.po"
