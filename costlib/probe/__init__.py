"""GPU throughput probe (torch and diffusers are imported lazily, inside functions)."""
