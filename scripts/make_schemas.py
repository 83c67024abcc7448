"""Write schemas/*.json from the pydantic models (run `make schemas` after changing a model)."""

from pathlib import Path

from ledger.schemas import rendered

out = Path(__file__).resolve().parent.parent / "schemas"
out.mkdir(exist_ok=True)
for name, text in rendered().items():
    (out / name).write_text(text)
    print(f"wrote schemas/{name}")
