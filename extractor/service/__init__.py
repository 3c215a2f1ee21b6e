"""The HTTP service (FastAPI + uvicorn, SQLite job store): ``formex serve``."""
