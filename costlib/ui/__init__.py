"""Widget forms for the seven-step notebooks (ipywidgets and plotly imported here only).

The forms are imported on first use: ``costlib.ui.answer`` (the overview's first cell) loads
without plotly.
"""

__all__ = ["StepForm", "OverviewForm", "UseCaseForm", "VolumeForm", "PrivacyForm",
           "OperationsForm", "TotalCostForm", "PrototypeForm", "ChooseForm"]


def __getattr__(name: str):
    if name in __all__:
        from costlib.ui import forms

        return getattr(forms, name)
    raise AttributeError(f"module 'costlib.ui' has no attribute {name!r}")
