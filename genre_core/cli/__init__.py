from genre_core.cli.main import main

__all__ = ["main"]
