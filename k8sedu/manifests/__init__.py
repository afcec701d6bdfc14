"""Manifests: YAML in and out, the way kubectl and the API server handle it.

- ``apply(core, manifest)``: ``kubectl apply`` for YAML text (several
  documents), a dict, or a list of dicts; returns kubectl's lines
  (``deployment.apps/web created``, ``service/web configured``,
  ``service/web unchanged``);
- ``export(core, path)``: the learner's objects as one file for
  ``kubectl apply -f`` on a real cluster;
- ``encode`` / ``to_yaml`` / ``to_json``: objects as ``kubectl get -o yaml``
  shows them; ``decode``: manifests back to objects, with the API server's
  strict field validation (``openapi`` carries the 1.32 schema). Each kind is
  one row of ``encode.ENCODERS`` and one of ``decode.DECODERS``, pointing at
  the module of its concept: ``pods``, ``workloads`` (apps/v1), ``services``,
  ``endpoints``, ``namespaces``, ``nodes``, ``networking`` (Ingress,
  IngressClass); ``meta`` holds what they share.

Examples
--------
>>> from k8sedu.core import Core
>>> core = Core()
>>> print(apply(core, '''
... apiVersion: v1
... kind: Namespace
... metadata:
...   name: shop
... '''))
namespace/shop created
"""

from k8sedu.manifests.apply import LAST_APPLIED, ApplyError, apply
from k8sedu.manifests.encode import encode
from k8sedu.manifests.export import export
from k8sedu.manifests.yamlio import load_documents, sort_keys, to_json, to_yaml

__all__ = ["apply", "export", "encode", "to_yaml", "to_json", "sort_keys", "load_documents", "ApplyError",
           "LAST_APPLIED"]
