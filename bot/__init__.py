"""Configuration, wiring, the command line and the channel adapters of asesorbot."""
