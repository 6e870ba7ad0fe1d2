"""Whether a PostgreSQL server answers; the store's own fixtures make and drop databases."""

import psycopg


def postgres_available(url: str, timeout: float = 2.0) -> bool:
    """Whether `url` (libpq or SQLAlchemy `postgresql+psycopg://` form) accepts a connection."""
    libpq_url = url.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        with psycopg.connect(libpq_url, connect_timeout=max(1, round(timeout))) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True
