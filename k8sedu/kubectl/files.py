"""``-f``: where manifests come from (cli-runtime's ``FilenameOptions``).

``-f FILE`` reads a file (relative to the process's working directory, as a
shell's kubectl would), ``-f DIR`` every ``.yaml``, ``.yml`` and ``.json`` file
in it (sorted by name), and ``-f -`` standard input: in the model, the text
after the command's first line (``"apply -f -\\n<yaml>"``) or the ``stdin=``
given to ``k8sedu.kubectl.run``. URLs need a network the model does not have.

No input is read past the API server's request body limit (``MaxRequestBodyBytes``, 3 MiB): a bigger file, or an
endless one like ``/dev/zero``, gets the API server's ``413`` answer after at most that many bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from k8sedu.errors import KubectlError

EXTENSIONS = (".yaml", ".yml", ".json")
LIMIT = 3 * 1024 * 1024  # kube-apiserver's MaxRequestBodyBytes default (options.ServerRunOptions)


def too_large(source: str) -> KubectlError:
    """The API server's answer to a request body over its limit (``handlers.limitedReadBody``).

    >>> print(too_large("STDIN"))
    Error from server (RequestEntityTooLarge): error when creating "STDIN": Request entity too large: limit is 3145728
    """
    return KubectlError(f'Error from server (RequestEntityTooLarge): error when creating "{source}": '
                        f"Request entity too large: limit is {LIMIT}")


def read_sources(filenames: Sequence[str], stdin: Optional[str]) -> list[tuple[str, str]]:
    """Return ``(source name, text)`` for every file ``-f`` names, or raise kubectl's error."""
    found: list[tuple[str, str]] = []
    for name in filenames:
        if name == "-":
            if len(stdin or "") > LIMIT or len((stdin or "").encode("utf-8", "surrogatepass")) > LIMIT:
                raise too_large("STDIN")
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
        with path.open("rb") as file:
            data = file.read(LIMIT + 1)
        if len(data) > LIMIT:
            raise too_large(str(path))
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise KubectlError(f"error: error reading {path}: {err}") from None
