"""Strict field types shared by the format schemas."""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from .jsonfile import MAX_INT

Name = Annotated[StrictStr, Field(min_length=1, max_length=4096)]
NonNegInt = Annotated[StrictInt, Field(ge=0, le=MAX_INT)]
PosInt = Annotated[StrictInt, Field(ge=1, le=MAX_INT)]
#: A channel index; its upper bound is the layer's, checked against the model.
Channel = Annotated[StrictInt, Field(ge=0, le=2**31 - 1)]
# StrictFloat accepts JSON integers too (1 == 1.0); NaN/inf never parse from our JSON.
FiniteFloat = Annotated[float, Field(strict=True, allow_inf_nan=False)]
NonNegFloat = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0)]
PosFloat = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0)]

__all__ = ["Name", "NonNegInt", "PosInt", "Channel", "FiniteFloat", "NonNegFloat", "PosFloat",
           "Strict", "StrictFloat"]


class Strict(BaseModel):
    """Strict types (no coercion: "false" is not a boolean, 1.7 and true are not
    integers); unknown keys are kept, as the formats may be extended."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True)
