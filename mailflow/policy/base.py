"""The pieces every rules model shares: frozen models and the key, address and days types."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Address = Annotated[str, Field(pattern=r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[a-z]{2,}$")]
Days = Annotated[int, Field(ge=0, le=366)]


class Frozen(BaseModel):
    """Base of every rules model: unknown keys are errors and loaded policy never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)
