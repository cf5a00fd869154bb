"""costlib: decide between managed image-generation APIs, rented GPUs, owned GPUs or a mix."""

__version__ = "0.1.0"
