"""Manifests the course uses, shared by the tests that apply and validate them."""

COURSE_INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: gateway-ingress
spec:
  ingressClassName: nginx
  rules:
  - host: api.example.com
    http:
      paths:
      - path: /currency-exchange
        pathType: Prefix
        backend:
          service:
            name: currency-exchange
            port:
              number: 8000
      - path: /currency-conversion
        pathType: Prefix
        backend:
          service:
            name: currency-conversion
            port:
              number: 8100
"""
