"""The command line, ``genre-lab`` (``python -m genre_core``): one subcommand per kind of job.

- :mod:`~genre_core.cli.main`: ``datasets``, ``describe``, ``validate`` and the dispatcher
- :mod:`~genre_core.cli.recipes`: ``spec KIND`` (options from the schema) and ``run FILE.json``
- :mod:`~genre_core.cli.train`: ``train`` and ``predict``
- :mod:`~genre_core.cli.search`: ``search`` and ``search-worker``
"""

from genre_core.cli.main import main

__all__ = ["main"]
