"""A planted module for tests of untrusted input: importing it writes a marker file, so a
test can prove that nothing imported it."""

from __future__ import annotations

from pathlib import Path


def plant_module(folder: Path, marker: Path, name: str = "evilmod") -> Path:
    """Write ``folder/<name>.py``: an estimator-shaped class ``Evil`` whose import writes ``marker``."""
    path = folder / f"{name}.py"
    path.write_text(
        f"open({str(marker)!r}, 'w').write('imported')\n"
        "class Evil:\n"
        "    def fit(self, X, y):\n"
        "        return self\n"
        "    def predict(self, X):\n"
        "        return X\n")
    return path
