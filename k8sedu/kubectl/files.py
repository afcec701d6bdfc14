"""``-f``: where manifests come from (cli-runtime's ``FilenameOptions``).

``-f FILE`` reads a file (relative to the process's working directory, as a
shell's kubectl would), ``-f DIR`` every ``.yaml``, ``.yml`` and ``.json`` file
in it (sorted by name), and ``-f -`` standard input: in the model, the text
after the command's first line (``"apply -f -\\n<yaml>"``) or the ``stdin=``
given to ``k8sedu.kubectl.run``. URLs need a network the model does not have.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from k8sedu.errors import KubectlError

EXTENSIONS = (".yaml", ".yml", ".json")


def read_sources(filenames: Sequence[str], stdin: Optional[str]) -> list[tuple[str, str]]:
    """Return ``(source name, text)`` for every file ``-f`` names, or raise kubectl's error."""
    found: list[tuple[str, str]] = []
    for name in filenames:
        if name == "-":
            found.append(("STDIN", stdin or ""))
        elif name.startswith(("http://", "https://")):
            raise KubectlError(f'error: k8sedu cannot fetch "{name}": the model has no network outside the '
                               "cluster; save the manifest to a file, or paste it after the command")
        else:
            found += _read_path(name)
    return found


def _read_path(name: str) -> list[tuple[str, str]]:
    path = Path(name)
    if not path.exists():
        raise KubectlError(f'error: the path "{name}" does not exist')
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in EXTENSIONS)
        return [(str(p), _text(p)) for p in files]
    return [(name, _text(path))]


def _text(path: Path) -> str:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise KubectlError(f"error: error reading {path}: {err}") from None
