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


def skops_naming_planted_type(model_file: object) -> bytes:
    """The bytes of a skops model file whose top-level type is re-pointed at the planted
    ``evilmod.Evil`` (what an attacker who can write model files would craft)."""
    import io
    import json
    import zipfile

    crafted = io.BytesIO()
    with zipfile.ZipFile(model_file) as source, zipfile.ZipFile(crafted, "w") as out:
        for name in source.namelist():
            data = source.read(name)
            if name == "schema.json":
                schema = json.loads(data)
                schema["__module__"], schema["__class__"] = "evilmod", "Evil"
                data = json.dumps(schema).encode()
            out.writestr(name, data)
    return crafted.getvalue()
