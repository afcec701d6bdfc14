"""Endpoints and EndpointSlice validation, with the API server's texts.

Mirrors ``pkg/apis/core/validation`` (``validateEndpointAddress``:
``IsValidIP`` then ``ValidateNonSpecialIP``) and ``pkg/apis/discovery/validation``
(``validateEndpoints``: ``IsValidIPv4Address`` or ``IsValidIPv6Address`` by the
slice's ``addressType``, then ``ValidateNonSpecialIP``). An address that is not
an IP, or is unspecified, loopback or link-local, is refused before it is
stored, so ``get ep`` and the data plane never meet it.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

from k8sedu.apiserver.errors import FieldError
from k8sedu.apiserver.validation import dns1123_label

IS_VALID_IP = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"


@functools.lru_cache(maxsize=65536)
def _parse(value: str):
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


@functools.lru_cache(maxsize=65536)
def _special(value: str) -> tuple[str, ...]:
    """What is wrong with one address (a pure function of the text, so remembered: an EndpointSlice is validated
    again at every update, with the same addresses)."""
    ip = _parse(value)
    if ip is None:
        return ("must be a valid IP address",)
    checks = ((ip.is_unspecified, f"may not be unspecified ({value})"),
              (ip.is_loopback, "may not be in the loopback range (127.0.0.0/8, ::1/128)"),
              (ip.is_link_local and not ip.is_multicast,
               "may not be in the link-local range (169.254.0.0/16, fe80::/10)"),
              (_link_local_multicast(ip), "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"))
    return tuple(msg for bad, msg in checks if bad)


def non_special_ip_errors(value: str, path: str) -> list[FieldError]:
    """``ValidateNonSpecialIP``.

    Examples
    --------
    >>> [e.detail for e in non_special_ip_errors("127.0.0.1", "ip")]
    ['may not be in the loopback range (127.0.0.0/8, ::1/128)']
    """
    return [FieldError(path, "Invalid value", msg, value) for msg in _special(value)]


def _link_local_multicast(ip) -> bool:
    if ip.version == 4:
        return ip in ipaddress.ip_network("224.0.0.0/24")
    return ip.is_multicast and (int(ip) >> 112) & 0xF == 2


def validate_endpoints(ep: Any) -> list[FieldError]:
    """``ValidateEndpoints``: every address of every subset.

    >>> from k8sedu.objects import EndpointAddress, Endpoints, EndpointSubset, ObjectMeta
    >>> [str(e) for e in validate_endpoints(Endpoints(ObjectMeta(name="web"), (EndpointSubset((EndpointAddress("x"),)),)))]
    ['subsets[0].addresses[0].ip: Invalid value: "x": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)', 'subsets[0].addresses[0].ip: Invalid value: "x": must be a valid IP address']
    """
    errs: list[FieldError] = []
    for i, subset in enumerate(ep.subsets):
        for field, addresses in (("addresses", subset.addresses), ("notReadyAddresses", subset.not_ready_addresses)):
            for j, address in enumerate(addresses):
                path = f"subsets[{i}].{field}[{j}]"
                if _parse(address.ip) is None:
                    errs.append(FieldError(f"{path}.ip", "Invalid value", IS_VALID_IP, address.ip))
                if address.hostname:
                    errs += dns1123_label(address.hostname, f"{path}.hostname")
                errs += non_special_ip_errors(address.ip, f"{path}.ip")
        errs += _port_errors(subset.ports, f"subsets[{i}].ports")
    return errs


def _port_errors(ports, path: str) -> list[FieldError]:
    """``validateEndpointPort``: a name when there are several, a port in range."""
    errs: list[FieldError] = []
    for i, port in enumerate(ports):
        if len(ports) > 1 and not port.name:
            errs.append(FieldError(f"{path}[{i}].name", "Required value"))
        elif port.name:
            errs += dns1123_label(port.name, f"{path}[{i}].name")
        if not 1 <= port.port <= 65535:
            errs.append(FieldError(f"{path}[{i}].port", "Invalid value", "must be between 1 and 65535, inclusive",
                                   port.port))
    return errs


def validate_endpoint_slice(slice_: Any) -> list[FieldError]:
    """``ValidateEndpointSlice``: each address by the slice's address type.

    >>> from k8sedu.objects import Endpoint, EndpointSlice, ObjectMeta
    >>> [str(e) for e in validate_endpoint_slice(EndpointSlice(ObjectMeta(name="w"), endpoints=(Endpoint(("::1",)),)))]
    ['endpoints[0].addresses[0]: Invalid value: "::1": must be a valid IPv4 address', 'endpoints[0].addresses[0]: Invalid value: "::1": may not be in the loopback range (127.0.0.0/8, ::1/128)']
    """
    errs: list[FieldError] = []
    if slice_.address_type not in ("IPv4", "IPv6", "FQDN"):
        errs.append(FieldError("addressType", "Unsupported value",
                               f'"{slice_.address_type}": supported values: "FQDN", "IPv4", "IPv6"'))
    for i, endpoint in enumerate(slice_.endpoints):
        if not endpoint.addresses:
            errs.append(FieldError(f"endpoints[{i}].addresses", "Required value", "must contain at least 1 address"))
        for j, address in enumerate(endpoint.addresses):
            path = f"endpoints[{i}].addresses[{j}]"
            if slice_.address_type in ("IPv4", "IPv6"):
                ip = _parse(address)
                if ip is None or f"IPv{ip.version}" != slice_.address_type:
                    errs.append(FieldError(path, "Invalid value",
                                           f"must be a valid {slice_.address_type} address", address))
                errs += non_special_ip_errors(address, path)
    return errs
