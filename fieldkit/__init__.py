"""Field Kit: an offline-first kit for pop-up community clinics."""

__version__ = "0.1.0"
