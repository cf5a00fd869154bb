"""Widget forms for the seven-step notebooks (ipywidgets and plotly imported here only)."""

from costlib.ui.forms import (
    OperationsForm,
    PrivacyForm,
    StepForm,
    TotalCostForm,
    UseCaseForm,
    VolumeForm,
)

__all__ = ["StepForm", "UseCaseForm", "VolumeForm", "PrivacyForm", "OperationsForm",
           "TotalCostForm"]
