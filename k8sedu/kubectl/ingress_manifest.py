"""Ingress and IngressClass manifests: now ``k8sedu.manifests.ingress``, re-exported here under the old name."""

from k8sedu.manifests.ingress import (DECODERS, ENCODERS, decode_ingress, decode_ingressclass, encode_ingress,
                                      encode_ingressclass)

__all__ = ["DECODERS", "ENCODERS", "decode_ingress", "decode_ingressclass", "encode_ingress", "encode_ingressclass"]
