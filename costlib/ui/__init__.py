"""Widget forms for the seven-step notebooks (ipywidgets and plotly imported here only)."""

from costlib.ui.forms import (
    ChooseForm,
    OperationsForm,
    OverviewForm,
    PrivacyForm,
    PrototypeForm,
    StepForm,
    TotalCostForm,
    UseCaseForm,
    VolumeForm,
)

__all__ = ["StepForm", "OverviewForm", "UseCaseForm", "VolumeForm", "PrivacyForm",
           "OperationsForm", "TotalCostForm", "PrototypeForm", "ChooseForm"]
