"""On-disk cache of parsed criteria: each text is parsed once per parser and vocabulary.

A parse tree depends on the criterion text and on everything that reads it: the grammar,
the parser and lexicon code, the unit definitions, the vocabulary. `parser_version()` hashes
all of them with the package version and this cache's format, and names the database file,
so a change to any of them starts a fresh cache instead of trusting an old tree.

Storage is one SQLite database per parser version, in WAL mode: two processes may read and
write it at once (each write is one transaction of `INSERT OR REPLACE`, and writers wait for
each other). A tree is stored as pydantic JSON with a digest of version, text and payload;
on load the digest is checked and the JSON validated against the node models, so a corrupt
or foreign entry is ignored and the text parsed again, never trusted. Of the formats measured
on 3,000 corpus trees (docs/performance.md), pydantic JSON loaded fastest (about 60 us a tree,
against 85 us for pickle and 60 us for marshal of `model_dump` plus validation) and it is the
one that validates as it loads.

Where: `$ELIG_CACHE_DIR`, else `$XDG_CACHE_HOME/elig`, else `~/.cache/elig`.
`ELIG_CACHE_DIR=off` (or an empty value) turns the cache off. Any error of the file system
or the database turns it off for the process too: the cache can only make elig faster.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from pydantic import TypeAdapter

from engine.nodes import Predicate
from engine.parse import grammar_version, parse

FORMAT = 1
"""Bumped whenever what is stored, or how, changes."""

ENV = "ELIG_CACHE_DIR"
_OFF = frozenset({"", "off", "0", "no", "none", "false"})
_CHUNK = 500  # texts per SELECT (SQLite allows at least 999 parameters)

_TREE = TypeAdapter(Predicate)

# Engine sources whose code decides the tree a text parses to, beside the grammar and
# parse.py (both in grammar_version()).
_PARSER_SOURCES = ("lexicon.py", "normalize.py", "units.py", "nodes.py", "limits.py", "vocab.py", "prefilter.py")


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is off (`ELIG_CACHE_DIR=off`)."""
    env = os.environ.get(ENV)
    if env is not None:
        return None if env.strip().lower() in _OFF else Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "elig"


@cache
def parser_version() -> str:
    """A digest of everything a parse tree depends on besides its text."""
    from importlib.metadata import PackageNotFoundError, version

    from engine.units import _definitions_file

    try:
        package = version("elig")
    except PackageNotFoundError:
        package = "unknown"
    try:
        lark_version = version("lark")  # engine.parse reads lark's LALR tables itself
    except PackageNotFoundError:
        lark_version = "unknown"
    digest = hashlib.sha256(f"{FORMAT}\0{package}\0{lark_version}\0{grammar_version()}\0{_vocabulary_version()}".encode())
    here = Path(__file__).resolve().parent
    for name in _PARSER_SOURCES:
        digest.update((here / name).read_bytes())
    digest.update(_definitions_file().read_bytes())
    return digest.hexdigest()[:16]


def _vocabulary_version() -> str:
    from engine.vocab import load_vocabulary

    return load_vocabulary().version


def _digest(version: str, text: str, payload: bytes) -> bytes:
    return hashlib.blake2b(version.encode() + b"\0" + text.encode() + b"\0" + payload, digest_size=16).digest()


class TreeStore:
    """Parse trees by criterion text in one SQLite file for one parser version."""

    def __init__(self, folder: Path, version: str):
        self.version = version
        self.path = folder / f"trees-{version}.sqlite3"
        self._db: sqlite3.Connection | None = None
        self._broken = False

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is None and not self._broken:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("CREATE TABLE IF NOT EXISTS trees (text TEXT PRIMARY KEY, digest BLOB NOT NULL, tree BLOB NOT NULL)")
                self._db = db
            except (OSError, sqlite3.Error):
                self._broken = True
        return self._db

    def get_many(self, texts: Iterable[str]) -> dict[str, Predicate]:
        """The stored trees of those texts that have a sound entry."""
        db = self._connect()
        wanted = list(dict.fromkeys(texts))
        found: dict[str, Predicate] = {}
        if db is None:
            return found
        try:
            for i in range(0, len(wanted), _CHUNK):
                chunk = wanted[i : i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                for text, digest, payload in db.execute(f"SELECT text, digest, tree FROM trees WHERE text IN ({marks})", chunk):
                    tree = self._load(text, digest, payload)
                    if tree is not None:
                        found[text] = tree
        except sqlite3.Error:
            self._broken, self._db = True, None
        return found

    def _load(self, text: str, digest: object, payload: object) -> Predicate | None:
        if not isinstance(payload, bytes) or digest != _digest(self.version, text, payload):
            return None
        try:
            return _TREE.validate_json(payload)
        except ValueError:  # pydantic's ValidationError, or JSON that is not
            return None

    def put_many(self, trees: dict[str, Predicate]) -> None:
        """Store trees, one transaction; an entry already there is replaced (it may be corrupt)."""
        db = self._connect()
        if db is None or not trees:
            return
        rows = []
        for text, tree in trees.items():
            payload = _TREE.dump_json(tree)
            rows.append((text, _digest(self.version, text, payload), payload))
        try:
            with db:
                db.execute("BEGIN IMMEDIATE")
                db.executemany("INSERT OR REPLACE INTO trees (text, digest, tree) VALUES (?, ?, ?)", rows)
        except sqlite3.Error:
            self._broken, self._db = True, None


def store() -> TreeStore | None:
    """The store for this process's parser version, None when the cache is off."""
    folder = cache_dir()
    if folder is None:
        return None
    key = (folder, parser_version())
    if _STORES.get(key) is None:
        _STORES[key] = TreeStore(folder, key[1])
    return _STORES[key]


_STORES: dict[tuple[Path, str], TreeStore] = {}


def parse_many(texts: Iterable[str], *, workers: int | None = None, progress: bool = False) -> dict[str, Predicate]:
    """Parse trees of `texts`: from the cache where it has them, else parsed and then stored.

    Args:
        texts: criterion texts (repeats are parsed once).
        workers: processes to parse the texts the cache lacks in (default: one per core
            when there are at least PARALLEL_FROM of them; 1: in this process).
        progress: a progress bar on stderr while parsing (the CLI asks on a terminal).

    Returns:
        Text -> tree, one entry per distinct text; the same trees `engine.parse.parse` gives.

    >>> parse_many(["ANC >= 500/uL"])["ANC >= 500/uL"].kind
    'comparison'
    """
    wanted = list(dict.fromkeys(texts))
    tree_store = store()
    found = tree_store.get_many(wanted) if tree_store is not None else {}
    todo = [t for t in wanted if t not in found]
    missing = dict(zip(todo, _parse_all(todo, workers or os.cpu_count() or 1, progress)))
    if tree_store is not None:
        tree_store.put_many(missing)
    return {t: found[t] if t in found else missing[t] for t in wanted}


PARALLEL_FROM = 1_000  # texts to parse; fewer are parsed before worker processes start
_PARSE_CHUNK = 250  # texts per task: small enough to balance, large enough to pay


def _parse_all(texts: list[str], workers: int, progress: bool) -> list[Predicate]:
    """The trees of `texts` in order, parsed in `workers` processes when there are enough."""
    from engine.progress import progress_bar

    if workers <= 1 or len(texts) < PARALLEL_FROM:
        with progress_bar("parsing", len(texts), enabled=progress) as bar:
            return [parse(t) for t in bar.each(texts)]
    from concurrent.futures import ProcessPoolExecutor

    chunks = [texts[i : i + _PARSE_CHUNK] for i in range(0, len(texts), _PARSE_CHUNK)]
    trees: list[Predicate] = []
    with ProcessPoolExecutor(min(workers, len(chunks))) as pool:
        futures = [pool.submit(_parse_chunk, chunk) for chunk in chunks]  # before a bar's thread starts
        with progress_bar("parsing", len(texts), enabled=progress) as bar:
            for future in futures:
                done = future.result()
                trees += done
                bar.step(len(done))
    return trees


def _parse_chunk(texts: list[str]) -> list[Predicate]:
    return [parse(t) for t in texts]
