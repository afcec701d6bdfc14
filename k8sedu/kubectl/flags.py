"""Command-line parsing the way kubectl's libraries (cobra and pflag) do it.

kubectl is a tree of cobra commands; each command declares its flags with
pflag. The rules a learner meets, all reproduced here:

- Flags may come before, between or after the arguments:
  ``kubectl get -n kube-system pods`` = ``kubectl get pods -n kube-system``.
- A long flag takes its value as ``--flag=value`` or ``--flag value``; a
  boolean flag needs no value (``--all``) and only takes one after ``=``.
- Short flags: ``-n value``, ``-nvalue``, ``-n=value``, and booleans can be
  grouped (``-it``).
- ``--`` ends the flags: everything after it is an argument (how
  ``kubectl exec POD -- nslookup web`` passes the command through), and the
  command can ask where the dash was (cobra's ``ArgsLenAtDash``).
- Errors are pflag's and cobra's own sentences, printed by kubectl as
  ``error: <message>`` plus ``See 'kubectl get --help' for usage.``
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from k8sedu.errors import KubectlError


@dataclass(frozen=True)
class Flag:
    """One flag a command accepts.

    ``kind`` is pflag's value type: ``string``, ``int`` (Go int / int32),
    ``bool``, ``strings`` (a StringSlice: comma separated and repeatable) or
    ``array`` (a StringArray: repeatable, each value taken whole, commas and
    all, as ``kubectl create ingress --rule`` needs).
    ``no_opt`` is pflag's ``NoOptDefVal``: the value used when the flag is
    given without one (``"true"`` for every bool).
    """

    name: str
    kind: str = "string"
    short: str = ""
    default: Any = None
    required: bool = False
    no_opt: str = ""
    modelled: bool = True  # False: a real kubectl flag the model does not implement yet

    @property
    def shown(self) -> str:
        """The flag as pflag names it in errors: ``-r, --replicas`` or ``--port``."""
        return f"-{self.short}, --{self.name}" if self.short else f"--{self.name}"

    @property
    def takes_no_value(self) -> bool:
        return self.kind == "bool" or bool(self.no_opt)


def string(name: str, short: str = "", default: str = "", **kw) -> Flag:
    return Flag(name, "string", short, default, **kw)


def integer(name: str, short: str = "", default: int = 0, **kw) -> Flag:
    return Flag(name, "int", short, default, **kw)


def boolean(name: str, short: str = "", default: bool = False, **kw) -> Flag:
    return Flag(name, "bool", short, default, no_opt="true", **kw)


def strings(name: str, short: str = "", **kw) -> Flag:
    return Flag(name, "strings", short, (), **kw)


def array(name: str, short: str = "", **kw) -> Flag:
    """A pflag StringArray: ``--rule=a,b --rule=c`` gives ``("a,b", "c")``."""
    return Flag(name, "array", short, (), **kw)


@dataclass
class Parsed:
    """What the parser found: positional arguments, flag values, and where ``--`` was."""

    args: list[str]
    values: dict[str, Any]
    changed: set[str] = field(default_factory=set)
    args_len_at_dash: int = -1  # cobra's ArgsLenAtDash: -1 when there was no "--"
    stdin: Optional[str] = None  # what the command reads for "-f -" (None: nothing was piped in)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]


def flag_error(message: str, command_path: str) -> KubectlError:
    """kubectl's FlagErrorFunc: the pflag message plus where to read the usage."""
    return KubectlError(f"error: {message}\nSee '{command_path} --help' for usage.")


def usage_error(message: str, command_path: str) -> KubectlError:
    """kubectl's ``cmdutil.UsageErrorf``: the message plus where to find examples."""
    return KubectlError(f"error: {message}\nSee '{command_path} -h' for help and examples")


class FlagSet:
    """The flags of one command (its own plus kubectl's global ones)."""

    def __init__(self, command_path: str, flags: Sequence[Flag]):
        self.command_path = command_path
        self.flags = {f.name: f for f in flags}
        self.shorts = {f.short: f for f in flags if f.short}

    def parse(self, tokens: Sequence[str]) -> Parsed:
        """Split ``tokens`` into arguments and flag values, or raise kubectl's error."""
        parsed = Parsed([], {name: f.default for name, f in self.flags.items()})
        rest = list(tokens)
        while rest:
            token = rest.pop(0)
            if token == "--":
                parsed.args_len_at_dash = len(parsed.args)
                parsed.args.extend(rest)
                break
            if token.startswith("--"):
                self._long(token[2:], rest, parsed)
            elif token.startswith("-") and len(token) > 1:
                self._shorts(token[1:], rest, parsed)
            else:
                parsed.args.append(token)
        return parsed

    def value_follows(self, token: str) -> bool:
        """Whether cobra takes the word after ``token`` as its value when looking for a subcommand."""
        if "=" in token or not token.startswith("-"):
            return False
        if token.startswith("--"):
            spec = self.flags.get(token[2:])
        elif len(token) == 2:
            spec = self.shorts.get(token[1])
        else:
            return False
        return spec is None or not spec.takes_no_value

    def check_required(self, parsed: Parsed) -> None:
        """cobra's ValidateRequiredFlags (after parsing; not a flag error, so no "See ..." line)."""
        missing = [name for name, f in self.flags.items() if f.required and name not in parsed.changed]
        if missing:
            shown = ", ".join(f'"{name}"' for name in sorted(missing))
            raise KubectlError(f"error: required flag(s) {shown} not set")

    def check_modelled(self, parsed: Parsed) -> None:
        """Refuse, honestly, a real flag the model does not implement."""
        for name in sorted(parsed.changed):
            if not self.flags[name].modelled:
                raise KubectlError(f'error: k8sedu does not model the --{name} flag of "{self.command_path}" yet')

    def _long(self, body: str, rest: list[str], parsed: Parsed) -> None:
        name, has_value, value = body.partition("=")
        spec = self.flags.get(name)
        if spec is None:
            raise flag_error(f"unknown flag: --{name}", self.command_path)
        if not has_value:
            if spec.takes_no_value:
                value = spec.no_opt
            elif rest:
                value = rest.pop(0)  # pflag takes the next word whatever it looks like
            else:
                raise flag_error(f"flag needs an argument: --{name}", self.command_path)
        self._set(spec, value, parsed)

    def _shorts(self, letters: str, rest: list[str], parsed: Parsed) -> None:
        i = 0
        while i < len(letters):
            c = letters[i]
            spec = self.shorts.get(c)
            if spec is None:
                raise flag_error(f"unknown shorthand flag: '{c}' in -{letters}", self.command_path)
            after = letters[i + 1:]
            if after.startswith("="):
                self._set(spec, after[1:], parsed)
                return
            if spec.takes_no_value:
                self._set(spec, spec.no_opt, parsed)
                i += 1
                continue
            if after:
                self._set(spec, after, parsed)
            elif rest:
                self._set(spec, rest.pop(0), parsed)
            else:
                raise flag_error(f"flag needs an argument: '{c}' in -{letters}", self.command_path)
            return

    def _set(self, spec: Flag, value: str, parsed: Parsed) -> None:
        try:
            converted = _convert(spec, value)
        except ValueError as err:
            raise flag_error(f'invalid argument "{value}" for "{spec.shown}" flag: {err}',
                             self.command_path) from None
        if spec.kind in ("strings", "array") and spec.name in parsed.changed:
            converted = parsed.values[spec.name] + converted
        parsed.values[spec.name] = converted
        parsed.changed.add(spec.name)


def _convert(spec: Flag, value: str) -> Any:
    if spec.kind == "int":
        return parse_go_int(value)
    if spec.kind == "bool":
        return parse_go_bool(value)
    if spec.kind == "strings":
        return tuple(value.split(",")) if value else ()
    if spec.kind == "array":
        return (value,)
    return value


def parse_go_int(text: str, bits: int = 32) -> int:
    """Parse like Go's ``strconv.ParseInt(s, 0, bits)``; raise ValueError with Go's words.

    Examples
    --------
    >>> parse_go_int("3"), parse_go_int("-2"), parse_go_int("0x10"), parse_go_int("010")
    (3, -2, 16, 8)
    >>> parse_go_int("three")
    Traceback (most recent call last):
    ...
    ValueError: strconv.ParseInt: parsing "three": invalid syntax
    """
    body = text[1:] if text[:1] in "+-" else text
    base, digits = 10, body
    lowered = body.lower()
    if lowered.startswith(("0x", "0o", "0b")):
        base, digits = {"x": 16, "o": 8, "b": 2}[lowered[1]], body[2:]
    elif len(body) > 1 and body.startswith("0"):
        base, digits = 8, body[1:]
    try:
        if not digits or not all(c.isascii() and (c.isalnum() or c == "_") for c in digits):
            raise ValueError
        number = int(digits, base)
    except ValueError:
        raise ValueError(f'strconv.ParseInt: parsing "{text}": invalid syntax') from None
    number = -number if text.startswith("-") else number
    if not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
        raise ValueError(f'strconv.ParseInt: parsing "{text}": value out of range')
    return number


def atoi(text: str) -> int:
    """Go's ``strconv.Atoi`` (an optional sign, then decimal digits, within int64), or its error as kubectl prints it.

    >>> atoi("-1"), atoi("+80")
    (-1, 80)
    >>> atoi("80abc")
    Traceback (most recent call last):
    ...
    k8sedu.errors.KubectlError: error: strconv.Atoi: parsing "80abc": invalid syntax
    """
    digits = text[1:] if text[:1] in "+-" else text
    if not (digits.isascii() and digits.isdigit()):
        raise KubectlError(f'error: strconv.Atoi: parsing "{text}": invalid syntax')
    if not -2 ** 63 <= int(text) < 2 ** 63:
        raise KubectlError(f'error: strconv.Atoi: parsing "{text}": value out of range')
    return int(text)


def parse_go_bool(text: str) -> bool:
    """Parse like Go's ``strconv.ParseBool``."""
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise ValueError(f'strconv.ParseBool: parsing "{text}": invalid syntax')


def find_verb(tokens: Sequence[str], flags: FlagSet) -> Optional[int]:
    """Return the index of the first word that is not a flag or a flag's value, or None.

    This is how cobra finds a subcommand (``stripFlags``): ``kubectl -n
    kube-system get pods`` runs ``get``. A ``--flag`` or ``-f`` written without
    ``=`` takes the next word as its value unless ``flags`` declares it as
    needing none (a boolean), even when the flag is unknown; and a flag whose
    value would leave at most one word ends the search.

    Examples
    --------
    >>> flags = FlagSet("kubectl create", [string("output", "o"), boolean("help", "h")])
    >>> find_verb(["-o", "yaml", "deployment", "web"], flags), find_verb(["-h", "deployment"], flags)
    (2, 1)
    >>> find_verb(["--foo", "deployment", "web"], flags), find_verb(["-o", "yaml"], flags)
    (2, None)
    """
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "--":
            return None
        if flags.value_follows(token):
            if len(tokens) - i - 1 <= 1:
                return None
            i += 2
        elif token and not token.startswith("-"):
            return i
        else:
            i += 1
    return None
