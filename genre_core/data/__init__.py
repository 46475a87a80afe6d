"""Data: where tables come from and what is done to them before any model sees them.

- :mod:`~genre_core.data.registry`: the known datasets (``DATASETS``, ``DEFAULT_DATASET``)
- :mod:`~genre_core.data.fetch`: finding a file or downloading it once, checked
- :mod:`~genre_core.data.csvio`: reading a user's CSV (any delimiter, encoding, gzip)
- :mod:`~genre_core.data.dataset`: ``Dataset``, ``Roles``, ``load_dataset``, ``load_upload``,
  uploads kept by hash (``keep_upload``)
- :mod:`~genre_core.data.audit`: duplicates, conflicting labels, the leakage of a random split
- :mod:`~genre_core.data.splits`: ``SplitSpec`` (stratified or grouped), ``split_rows``
- :mod:`~genre_core.data.preprocess`: imputation, scaling, genre choice
- :mod:`~genre_core.data.features`: numeric features, title embeddings, the artist
- :mod:`~genre_core.data.embeddings`: sentence embeddings of titles, cached on disk
- :mod:`~genre_core.data.merging`: merge maps (built-in, keyword rules, suggestions)
- :mod:`~genre_core.data.explore`: the numbers of the Explore page
"""
