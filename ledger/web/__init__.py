"""The web view and HTTP API (``ledger serve``): FastAPI on uvicorn, optional extra ``claims-ledger[web]``."""
