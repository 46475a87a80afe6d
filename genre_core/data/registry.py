"""The known datasets: where each comes from, how to check it and which columns play which role.

The facts here come from ``shared/datasets/*/PROVENANCE.md``: the canonical public URL, the
sha256 of the published bytes, the label, feature, text and grouping columns, and the caveats
a user should read before trusting a number computed on the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FileSpec:
    """One file of a dataset.

    ``sha256`` is that of the file published as ``name``; ``aliases`` are other names the same
    data is published under (checked for on disk, but their bytes differ, so never hashed).
    ``url`` is ``None`` where no public download exists.
    """

    name: str
    sha256: str | None
    url: str | None
    size: int | None = None
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class DatasetSpec:
    """A known dataset and the roles of its columns."""

    name: str
    title: str
    file: FileSpec
    label: str
    features: tuple[str, ...]
    text_columns: tuple[str, ...] = ()
    id_column: str | None = None
    artist_column: str | None = None
    subgenre_column: str | None = None
    class_names: dict[int, str] = field(default_factory=dict)
    rename: dict[str, str] = field(default_factory=dict)
    extra_files: dict[str, FileSpec] = field(default_factory=dict)
    source: str = ""
    caveats: tuple[str, ...] = ()
    folder: str = ""  # the subfolder of the data folder; the name when empty

    @property
    def directory(self) -> str:
        return self.folder or self.name

    @property
    def group_columns(self) -> tuple[str, ...]:
        return tuple(c for c in (self.id_column, self.artist_column) if c)


_TIDYTUESDAY = (
    "https://raw.githubusercontent.com/rfordatascience/tidytuesday/master/"
    "data/2020/2020-01-21/spotify_songs.csv"
)
_MUSIC11 = (
    "https://raw.githubusercontent.com/Renriviera/KaggleSpotifyAnalysis/"
    "51e1c4ac879c0da43990bd2eade1f60e9dc52667/archive/"
)
_GENRE_FACTOR = (
    "https://raw.githubusercontent.com/Henry-Kr15/TheGenreFactor/"
    "fd47d0ce51def3e478403fd4dee8db99d957cad8/data/"
)

_SPOTIFY_AUDIO = (
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
)

_YOUTUBE_AUDIO = (
    "Danceability",
    "Energy",
    "Key",
    "Loudness",
    "Speechiness",
    "Acousticness",
    "Instrumentalness",
    "Liveness",
    "Valence",
    "Tempo",
    "Duration_ms",
)
# The Genre Factor's codes of the album's type, the video's licence and whether it is official
_YOUTUBE_CODES = ("Album_type_encoded", "Licensed_encoded", "official_video_encoded")

MUSIC11_CLASSES = {
    0: "Acoustic/Folk",
    1: "Alt_Music",
    2: "Blues",
    3: "Bollywood",
    4: "Country",
    5: "HipHop",
    6: "Indie Alt",
    7: "Instrumental",
    8: "Metal",
    9: "Pop",
    10: "Rock",
}

DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            name="spotify-30k",
            title="30000 Spotify Songs (TidyTuesday 2020-01-21)",
            file=FileSpec(
                name="spotify_songs.csv",
                sha256="9902920cfe4940f0914ebb6716801a42f7f19ac88fbd6693eaae7e2822b16845",
                url=_TIDYTUESDAY,
                size=7_971_379,
            ),
            label="playlist_genre",
            features=("track_popularity", *_SPOTIFY_AUDIO, "duration_ms"),
            text_columns=("track_name", "track_album_name"),
            id_column="track_id",
            artist_column="track_artist",
            subgenre_column="playlist_subgenre",
            source="TidyTuesday 2020-01-21, collected from the Spotify Web API with spotifyr.",
            caveats=(
                "Genres are those of the playlists a track was found in, not of the track.",
                "1,687 track ids are filed under more than one genre: a random split puts the "
                "same song on both sides. Split by track id or artist for an honest score.",
                "The release date mixes full dates and bare years; `release_year` keeps the year.",
            ),
        ),
        DatasetSpec(
            name="music-genre-11",
            title="Music Genre Classification (Kaggle / MachineHack, 11 classes)",
            file=FileSpec(
                name="trainWithNaNs.csv",
                aliases=("train.csv",),
                sha256="4a74fa7274962471488915734d1e7a90c7c4210f701a83c51684a12ac5986fb1",
                url=_MUSIC11 + "trainWithNaNs.csv",
                size=2_082_242,
            ),
            label="Class",
            features=(
                "popularity",
                *_SPOTIFY_AUDIO,
                "duration_ms",
                "time_signature",
            ),
            text_columns=("Track Name",),
            artist_column="Artist Name",
            class_names=MUSIC11_CLASSES,
            rename={
                "Popularity": "popularity",
                "duration_in min/ms": "duration_ms",
                "duration_in ms": "duration_ms",
            },
            extra_files={
                "test": FileSpec(
                    name="test.csv",
                    sha256="f9eebf4de3ca81ceea784b5a19ecd51a4f932344ac402c1f6c285d9a06a5ebcd",
                    url=_MUSIC11 + "test.csv",
                    size=875_864,
                ),
                "submission": FileSpec(
                    name="submission.csv",
                    sha256="e02c4b17d6f431ccb2e782c83244cf091e8a01fea1dbc0d3aa7321c0486e8a4a",
                    url=_MUSIC11 + "submission.csv",
                    size=177_514,
                ),
            },
            source="Kaggle 'Music Genre Classification' (purumalgi), made for MachineHack.",
            caveats=(
                "2,580 durations are given in minutes; they are converted to milliseconds.",
                "popularity, key and instrumentalness have missing values: choose an imputer.",
                "The test file has no label; it is for predictions only.",
                "1,887 (artist, track) pairs repeat: split by artist for an honest score.",
            ),
        ),
        DatasetSpec(
            name="spotify-youtube",
            title="Spotify and YouTube, 27 consolidated genres (The Genre Factor)",
            file=FileSpec(
                name="data_selected_v1.csv",
                sha256="96a1e0d8bced093e469b6acf1d2affc7443d4d8c7aa41bac07404769bc0ffa0e",
                url=_GENRE_FACTOR + "data_selected_v1.csv",
                size=1_777_424,
            ),
            label="Genre",
            # the report's table less its artist code (the codes: see caveats)
            features=(*_YOUTUBE_AUDIO, "Views", "Likes", "Comments", "Stream", *_YOUTUBE_CODES),
            id_column=None,  # its first column is the row number, not a track id
            artist_column="Artist_encoded",
            source="Kaggle 'Spotify and Youtube' with Wikidata genres, from TheGenreFactor.",
            caveats=(
                "Genres were looked up on Wikidata per artist and album, then consolidated.",
                "Album_type_encoded: 0 album, 1 compilation, 2 single. Licensed_encoded and "
                "official_video_encoded: 0 no, 1 yes, 2 no YouTube video.",
                "One class is literally named 'bullshit' (649 rows): a junk class to drop.",
                "The six-genre table of 'The Genre Factor' keeps hip hop, rock, pop, "
                "electronic, metal and classic (6,446 rows).",
            ),
        ),
        DatasetSpec(
            name="spotify-youtube-raw",
            title="Spotify and YouTube, all 20,718 rows with 397 raw Wikidata genres",
            file=FileSpec(
                name="spotify_youtube_genres.csv.gz",
                sha256="6040bc515ff45e0eee9c8a7af62419f176bf5643fa947ddf47940908f9d6ac58",
                url=None,
                size=9_367_375,
            ),
            folder="spotify-youtube",
            label="Genre",
            features=_YOUTUBE_AUDIO,
            text_columns=("Track", "Album"),
            id_column="Uri",
            artist_column="Artist",
            source="All batch files of TheGenreFactor concatenated (see PROVENANCE.md).",
            caveats=(
                "About a third of the rows have no genre ('Not Found' or 'Error').",
                "397 raw genres: merge them before training.",
                "No public download of this exact file exists: put a copy in the data folder.",
            ),
        ),
        DatasetSpec(
            name="spotify-114k",
            title="Spotify Tracks Dataset (maharshipandya, 114 genres)",
            file=FileSpec(
                name="dataset.csv",
                sha256="b202fa49909b2d5cef71a04b1d21243cfeb36414535f2ca9272aa646721177bd",
                url=(
                    "https://huggingface.co/datasets/maharshipandya/spotify-tracks-dataset/"
                    "resolve/main/dataset.csv"
                ),
                size=20_118_244,
            ),
            label="track_genre",
            features=("popularity", *_SPOTIFY_AUDIO, "duration_ms", "time_signature"),
            text_columns=("track_name", "album_name"),
            id_column="track_id",
            artist_column="artists",
            source="Hugging Face / Kaggle 'Spotify Tracks Dataset' by maharshipandya.",
            caveats=("Download only: 114 genres of 1,000 tracks each (as published).",),
        ),
    )
}

DEFAULT_DATASET = "spotify-30k"


def get_spec(name: str) -> DatasetSpec:
    """The spec of a known dataset, or a ``KeyError`` whose message lists the known names."""
    try:
        return DATASETS[name]
    except KeyError:
        known = ", ".join(DATASETS)
        raise KeyError(f"unknown dataset '{name}'; known datasets: {known}") from None
