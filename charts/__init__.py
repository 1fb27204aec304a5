"""Charts rendered from core results (matplotlib Figure API, PNG bytes out)."""
